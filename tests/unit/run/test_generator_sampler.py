"""The sampler reads real processes: a spinning one is busy or waiting for a core, a sleeping one neither."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from envsim.journal import ALL_ENDPOINTS, StatsPoint
from envsim.run.generator_sampler import GeneratorSampler, run_queue_ns
from envsim.run.load_with_faults import with_achieved_rate

# A run samples each second; here each half second, so each test waits half as long.
INTERVAL = 0.5


def started(command: str) -> subprocess.Popen:
    """A Python child that has printed its first line, its interpreter's start over."""
    process = subprocess.Popen([sys.executable, "-c", command], stdout=subprocess.PIPE)
    process.stdout.readline()
    return process


def test_each_second_names_every_process_with_its_cpu_and_wait():
    spinning = started("print(flush=True)\nwhile True: pass")
    sleeping = started("import time; print(flush=True); time.sleep(30)")
    try:
        processes = [("master", spinning.pid), ("worker-1", sleeping.pid)]
        sampler = GeneratorSampler(lambda: processes, lambda t: 7, interval=INTERVAL)
        sampler.start(time.monotonic())
        time.sleep(3.3 * INTERVAL)
        samples = sampler.stop()
    finally:
        spinning.kill()
        sleeping.kill()
        spinning.wait()
        sleeping.wait()
    assert [round(s.t / INTERVAL) for s in samples] == [1, 2, 3]
    assert all(s.asked_users == 7 and 0 <= s.host_cpu <= 100 for s in samples)
    for sample in samples[1:]:  # in the first, the sleeping one may still wait for a core to reach its sleep
        (master, worker) = sample.processes
        assert master[:2] == ("master", spinning.pid) and worker[:2] == ("worker-1", sleeping.pid)
        assert master[2] + master[3] > 80, sample  # it always wants a core: it runs or waits for one
        assert worker[2] + worker[3] < 5, sample


HELPERS_CROWDING_ONE_CORE = """
import hashlib, os, threading, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
DATA = b"x" * 8_000_000
def spin():
    while True:  # hashing releases the GIL, so the three are runnable at once, as a worker's
        hashlib.sha256(DATA).digest()  # resolver and ZeroMQ threads are
for _ in range(3):
    threading.Thread(target=spin, daemon=True).start()
print(flush=True)
time.sleep(30)
"""


def test_the_wait_is_the_main_threads_not_the_sum_of_its_helpers():
    # three threads spinning on one core wait about 200% of each second between them; the main
    # thread, which runs a Locust process's users, sleeps and waits for nothing
    process = started(HELPERS_CROWDING_ONE_CORE)  # the helpers are up
    try:
        sampler = GeneratorSampler(lambda: [("worker-1", process.pid)], lambda t: 1, interval=INTERVAL)
        helpers_before, began = _all_threads_waited_ns(process.pid), time.monotonic()
        sampler.start(time.monotonic())
        time.sleep(2.3 * INTERVAL)
        samples = sampler.stop()
        helpers_waited = (_all_threads_waited_ns(process.pid) - helpers_before) / 1e9
        elapsed = time.monotonic() - began
    finally:
        process.kill()
        process.wait()
    assert helpers_waited > elapsed, (helpers_waited, elapsed)  # over 100% of the time, summed
    assert all(waited < 5 for s in samples[1:] for _, _, _, waited in s.processes), samples


def _all_threads_waited_ns(pid: int) -> int:
    return sum(int((task / "schedstat").read_text().split()[1]) for task in Path(f"/proc/{pid}/task").iterdir())


def test_a_process_that_is_gone_reads_as_no_wait():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert run_queue_ns(gone.pid) == 0


def test_each_sample_keeps_the_rate_asked_and_is_given_the_requests_started_in_its_second():
    sampler = GeneratorSampler(lambda: [], lambda t: 10, asked_rate=lambda t: 12.5 * t)
    sampler.start(time.monotonic())
    time.sleep(2.3)  # whole seconds: the requests are matched to the second each sample covers
    samples = sampler.stop()
    assert [round(s.asked_rate / 12.5) for s in samples] == [1, 2] and samples[0].achieved_rate is None
    series = (
        StatsPoint(0, ALL_ENDPOINTS, 9, 0, (), started=11),  # two still in flight when the second ended
        StatsPoint(0, "GET /", 9, 0, ()),
        StatsPoint(1, ALL_ENDPOINTS, 7, 0, ()),  # a client whose starts are not seen: those ended
    )
    achieved = with_achieved_rate(samples, series)
    assert [s.achieved_rate for s in achieved] == [11, 7]
    assert [s.asked_rate for s in achieved] == [s.asked_rate for s in samples]
    assert with_achieved_rate(samples, ())[0].achieved_rate == 0


def test_readings_the_pods_sent_keep_the_rate_asked_too():
    # load in the cluster: the processes' CPU comes from their own readings, the asked figures from the scenario
    reported = (40.0, [("master", 0, 3.0, 0.0), ("worker-1", 0, 55.0, 0.0)])
    sampler = GeneratorSampler(lambda: [], lambda t: 6, lambda: reported, asked_rate=lambda t: 20.0, interval=INTERVAL)
    sampler.start(time.monotonic())
    time.sleep(1.3 * INTERVAL)
    samples = sampler.stop()
    assert [(s.asked_users, s.asked_rate, s.host_cpu) for s in samples] == [(6, 20.0, 40.0)]
    assert samples[0].processes == (("master", 0, 3.0, 0.0), ("worker-1", 0, 55.0, 0.0))
