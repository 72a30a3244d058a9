"""The sampler reads real processes: a spinning one is busy or waiting for a core, a sleeping one neither."""

from __future__ import annotations

import subprocess
import sys
import time

from envsim.run.generator_sampler import GeneratorSampler, run_queue_ns


def test_each_second_names_every_process_with_its_cpu_and_wait():
    spinning = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    sleeping = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        sampler = GeneratorSampler(lambda: [("master", spinning.pid), ("worker-1", sleeping.pid)], lambda t: 7)
        sampler.start(time.monotonic())
        time.sleep(3.3)
        samples = sampler.stop()
    finally:
        spinning.kill()
        sleeping.kill()
        spinning.wait()
        sleeping.wait()
    assert [round(s.t) for s in samples] == [1, 2, 3]
    assert all(s.asked_users == 7 and 0 <= s.host_cpu <= 100 for s in samples)
    for sample in samples[1:]:  # the first second includes the interpreters starting
        (master, worker) = sample.processes
        assert master[:2] == ("master", spinning.pid) and worker[:2] == ("worker-1", sleeping.pid)
        assert master[2] + master[3] > 80, sample  # it always wants a core: it runs or waits for one
        assert worker[2] + worker[3] < 5, sample


def test_a_process_that_is_gone_reads_as_no_wait():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert run_queue_ns(gone.pid) == 0
