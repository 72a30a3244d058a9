"""Samples the load generator's own health each second: the CPU of every Locust process and of
the machine, and the users and the request rate the scenario asked for at that moment.

psutil (Locust's own dependency, the tool Locust uses for its 90% CPU warning) reads the
processes' CPU times. On a machine busier than its cores, a generator gets less CPU than it
asks for and waits in the run queue instead: Linux's schedstat (its second field) gives that
wait, so a starved generator is seen too. The wait is the main thread's, the one that runs
gevent's loop and with it every user: a Locust process also has idle-most-of-the-time helper
threads (ZeroMQ's, gevent's resolver pool), whose waits, summed, read as "waited 500% of the
second" while its users connect. A process is keyed by
role and pid, so a master and its workers each get their line. Sampling runs on a thread
beside the run loop and never fails the run: a process that is gone is absent from that second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psutil

from envsim.journal import GeneratorSample
from envsim.run.child_processes import ReportedCpu

SAMPLE_INTERVAL = 1.0


class GeneratorSampler:
    def __init__(
        self,
        processes: Callable[[], list[tuple[str, int]]],
        asked_users: Callable[[float], int],
        reported: Callable[[], ReportedCpu | None] = lambda: None,
        asked_rate: Callable[[float], float] = lambda t: 0.0,
        interval: float = SAMPLE_INTERVAL,
    ):
        self._interval = interval  # a run samples each second; its tests sample faster
        self._processes = processes
        self._reported = reported  # readings the processes sent themselves (pods elsewhere)
        self._asked_users = asked_users
        self._asked_rate = asked_rate
        self._watched: dict[tuple[str, int], psutil.Process] = {}
        self._waited: dict[int, tuple[float, int]] = {}  # pid -> (monotonic time, run-queue ns) last read
        self._samples: list[GeneratorSample] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0_mono = 0.0

    def start(self, t0_mono: float) -> None:
        """Sample from now on, timed from `t0_mono` (load start on the monotonic clock)."""
        self._t0_mono = t0_mono
        self._watch()
        self._thread = threading.Thread(target=self._loop, name="envsim-generator-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> tuple[GeneratorSample, ...]:
        """Stop sampling; the samples taken, in time order."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2 * self._interval)
        return tuple(self._samples)

    def _loop(self) -> None:
        psutil.cpu_percent(None)  # sets the baseline; psutil keeps one per thread
        tick = 1
        while not self._stop.wait(max(0.0, self._t0_mono + tick * self._interval - time.monotonic())):
            self._samples.append(self._sample(time.monotonic() - self._t0_mono))
            tick = int((time.monotonic() - self._t0_mono) / self._interval) + 1

    def _watch(self) -> None:
        for key in self._processes():
            if key not in self._watched:
                try:
                    process = psutil.Process(key[1])
                    process.cpu_percent(None)
                    self._watched[key] = process
                    self._waited[key[1]] = (time.monotonic(), run_queue_ns(key[1]))
                except psutil.Error:
                    continue

    def _sample(self, t: float) -> GeneratorSample:
        reported = self._reported()
        if reported is not None:
            host_cpu, processes = reported
            return GeneratorSample(
                t=round(t, 3),
                host_cpu=round(psutil.cpu_percent(None) if host_cpu is None else host_cpu, 1),
                processes=tuple(processes),
                asked_users=self._asked_users(t),
                asked_rate=round(self._asked_rate(t), 2),
            )
        readings = []
        for (role, pid), process in list(self._watched.items()):
            try:
                readings.append((role, pid, round(process.cpu_percent(None), 1), self._waiting(pid)))
            except psutil.Error:
                del self._watched[(role, pid)]
        self._watch()  # a process started since (a worker) is read from the next second on
        return GeneratorSample(
            t=round(t, 3),
            host_cpu=round(psutil.cpu_percent(None), 1),
            processes=tuple(readings),
            asked_users=self._asked_users(t),
            asked_rate=round(self._asked_rate(t), 2),
        )

    def _waiting(self, pid: int) -> float:
        """Percent of the time since the last reading the process's main thread was ready but had no core."""
        now, waited = time.monotonic(), run_queue_ns(pid)
        then, before = self._waited.get(pid, (now, waited))
        self._waited[pid] = (now, waited)
        return round(100.0 * (waited - before) / 1e9 / (now - then), 1) if now > then else 0.0


def run_queue_ns(pid: int) -> int:
    """Nanoseconds the process's main thread has waited in the run queue; 0 where Linux does not say."""
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat", encoding="ascii") as handle:
            return int(handle.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
