"""Drives one run's load and fault timeline: the call `envsim run` makes once the stack is up.

t = 0 is the moment the Locust child reports that load began; the fault scheduler runs on
the same origin (the child's wall-clock t0 mapped onto this process's monotonic clock).
Faults are reverted and the child is stopped on every exit path. SIGINT and SIGTERM end the
run early: the result then says `interrupted=True` and holds everything measured until then;
the caller decides the exit status (130).
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from envsim.config.scenario_model import LoadSpec
from envsim.errors import EnvironmentProblem, InputError, Interrupted
from envsim.journal import ALL_ENDPOINTS, FaultEvent, GeneratorSample, StatsPoint, TimelineStep
from envsim.run.child_config import DEFAULT_STOP_TIMEOUT, child_config
from envsim.run.child_processes import EOF_MESSAGE, LoadChild, LoadProcess, WorkerLauncher
from envsim.run.generator_sampler import GeneratorSampler
from envsim.run.load_result import LoadResult
from envsim.run.progress import RunObserver, RunStart
from envsim.run.scheduler import FaultScheduler, FaultSwitch
from envsim.run.series import SeriesBuilder, redactor
from envsim.run.worker_log import WorkerLog

START_TIMEOUT = 60.0  # seconds for Python + Locust (+ workers) to come up
POD_START_SLACK = 60.0  # pods are scheduled and their containers started first
END_SLACK = 30.0  # beyond duration + stop timeout, a silent child counts as hung


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so the same cleanup path runs as for Ctrl-C."""


class _NoSwitch:
    def apply(self, name: str) -> None:
        raise RuntimeError("no fault switch was given")

    def clear(self, name: str) -> None:
        pass


@dataclass
class _ChildReport:
    """What the Locust child has told this process so far (mutated by the run loop only)."""

    t0_wall: float | None = None  # the child's wall clock at load start
    t0_mono: float | None = None  # the same moment on this process's monotonic clock
    duration: float | None = None  # set when the child says 'ended'
    version: str = ""
    error: str | None = None  # the load ended abnormally
    workers: WorkerLog = field(default_factory=WorkerLog)  # what the master said about its workers
    own_shape: bool = False  # a locustfile's shape decides the users, so how many were asked is unknown

    def load_start(self) -> tuple[float, float]:
        """t0_wall and t0_mono, once the child has said the load began."""
        if self.t0_wall is None or self.t0_mono is None:
            raise RuntimeError("the load has not begun")
        return self.t0_wall, self.t0_mono


def run_load(
    load: LoadSpec,
    target_url: str,
    timeline: Iterable[TimelineStep] = (),
    switch: FaultSwitch | None = None,
    observer: RunObserver | None = None,
    secrets: Mapping[str, str] | None = None,
    *,
    stop_timeout: float = DEFAULT_STOP_TIMEOUT,
    start_timeout: float = START_TIMEOUT,
    launcher: WorkerLauncher | None = None,
    child_in: Callable[[dict[str, Any]], LoadChild] | None = None,
) -> LoadResult:
    """Run `load` against `target_url` while `switch` applies the `timeline`'s faults. A `launcher`
    starts the workers, or `child_in` the whole child, elsewhere (`target_url` is how they reach
    the target there). Raises InputError (unusable locustfile, unknown secret) or EnvironmentProblem (Locust did
    not start) before load begins; once it began, always returns a LoadResult.
    """
    timeline, observer = tuple(timeline), observer or RunObserver()
    start_timeout = _start_timeout(load, start_timeout, in_pods=child_in is not None)
    config = child_config(load, target_url, secrets or {}, stop_timeout=stop_timeout)
    process = child_in(config) if child_in is not None else LoadProcess(config, launcher)
    scheduler = FaultScheduler(timeline, switch or _NoSwitch(), on_event=observer.on_fault)
    builder = SeriesBuilder(redactor((secrets or {}).values()))
    child = _ChildReport()
    sampler = _sampler(process, child, load)
    interrupted = False
    result: LoadResult | None = None

    with _sigterm_as_interrupt():
        try:
            _start(process, scheduler, child, start_timeout)
            sampler.start(child.load_start()[1])
            observer.on_start(
                RunStart(config["duration"], load.users, target_url, timeline, load.workers, child.version)
            )
            _follow(process, builder, observer, child, config["duration"] + stop_timeout + END_SLACK)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            with _signals_deferred():  # a second Ctrl-C must not cut the cleanup short
                faults = _stop(process, scheduler, builder, child, interrupted, stop_timeout)
                samples = sampler.stop()
                if child.t0_mono is not None:  # load began
                    result = _result(builder, faults, child, interrupted, load, samples)
                    observer.on_end(result)
    if result is None:  # interrupted before load began; cleanup has run
        raise Interrupted("interrupted before load began")
    return result


def _start_timeout(load: LoadSpec, start_timeout: float, *, in_pods: bool) -> float:
    if load.workers:  # the master waits for its workers to join before load begins
        start_timeout = max(start_timeout, load.join_timeout + 30.0)
    return start_timeout + (POD_START_SLACK if in_pods else 0.0)


def _sampler(process: LoadChild, child: _ChildReport, load: LoadSpec) -> GeneratorSampler:
    """The generator's own health each second; a locustfile's shape leaves what was asked unknown."""
    return GeneratorSampler(
        lambda: process.roles,
        lambda t: 0 if child.own_shape else load.users_at(t),
        process.reported_cpu,
        lambda t: 0.0 if child.own_shape else load.requests_asked_at(t),
    )


def _start(process: LoadChild, scheduler: FaultScheduler, child: _ChildReport, timeout: float) -> None:
    """Start the child, wait until load began, and start the timeline on the same origin."""
    process.start()
    hello = _await_start(process, timeout)
    child.t0_wall, child.version = float(hello["t0"]), str(hello.get("locust_version", ""))
    child.own_shape = bool(hello.get("own_shape"))
    # The child's wall-clock t0 on our monotonic clock: the scheduler's origin.
    child.t0_mono = time.monotonic() - (time.time() - child.t0_wall)
    scheduler.start(child.t0_mono)


def _stop(
    process: LoadChild,
    scheduler: FaultScheduler,
    builder: SeriesBuilder,
    child: _ChildReport,
    interrupted: bool,
    stop_timeout: float,
) -> tuple[FaultEvent, ...]:
    """Revert every fault, stop the child (keeping what it flushes), close it; the fault events."""
    faults = scheduler.revert_all("interrupted" if interrupted else "end of run")
    if child.duration is None and process.started():
        process.request_stop()
        _drain(process, builder, child, stop_timeout + 5.0)
    process.close()
    return faults


def _await_start(process: LoadChild, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = process.next_message(0.2)
        if message is None:
            continue
        if message["type"] == "started":
            return message
        if message["type"] == "error":
            if message.get("kind") == "input":
                raise InputError(message["message"])
            raise EnvironmentProblem(f"Locust could not start: {message['message']}")
        if message is EOF_MESSAGE:
            raise EnvironmentProblem("Locust exited before load began", hint=process.log_tail() or None)
    raise EnvironmentProblem(f"Locust did not start load within {timeout:.0f}s", hint=process.log_tail() or None)


def _follow(
    process: LoadChild, builder: SeriesBuilder, observer: RunObserver, child: _ChildReport, limit: float
) -> None:
    """Forward seconds to the observer until the child says 'ended' (or dies, or hangs).

    Requests count in the second they started, so a second can come again later with the
    requests of it that ended since; the series merges them, the observer sees each second
    once, when it ended (with the requests in flight at that moment).
    """
    forwarded = -1
    _, t0_mono = child.load_start()
    while True:
        message = process.next_message(0.5)
        if message is None:
            if time.monotonic() - t0_mono > limit:
                child.error = "Locust did not end the load in time; it was stopped"
                return
            continue
        child.workers.add(message)
        if message["type"] == "second":
            points = builder.add(message)
            if points[0].t > forwarded:
                forwarded = points[0].t
                observer.on_second(points)
        elif message["type"] == "ended":
            child.duration = float(message["duration"])
            return
        elif message is EOF_MESSAGE:
            child.error = "Locust exited during the load: " + (process.log_tail()[-500:] or "no output")
            return


def _drain(process: LoadChild, builder: SeriesBuilder, child: _ChildReport, timeout: float) -> None:
    """After an early stop: keep the seconds the child flushes until it says 'ended'."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = process.next_message(0.2)
        if message is None:
            if not process.running():
                return
            continue
        child.workers.add(message)
        if message["type"] == "second":
            builder.add(message)
        elif message["type"] == "ended":
            child.duration = float(message["duration"])
            return
        elif message is EOF_MESSAGE:
            return


def _result(
    builder: SeriesBuilder,
    faults: tuple[FaultEvent, ...],
    child: _ChildReport,
    interrupted: bool,
    load: LoadSpec,
    samples: tuple[GeneratorSample, ...],
) -> LoadResult:
    t0_wall, t0_mono = child.load_start()
    duration = child.duration if child.duration is not None else time.monotonic() - t0_mono
    series = builder.series()
    return LoadResult(
        series=series,
        faults=faults,
        started_at=_iso(t0_wall),
        ended_at=_iso(t0_wall + duration),
        duration=duration,
        interrupted=interrupted,
        locust_version=child.version,
        error=child.error,
        worker_seconds=child.workers.seconds(),
        worker_losses=tuple(child.workers.losses),
        endpoints=() if load.locustfile else tuple((t.name, f"{t.method.upper()} {t.path}") for t in load.requests),
        generator=with_achieved_rate(samples, series),
    )


def with_achieved_rate(
    samples: tuple[GeneratorSample, ...], series: Iterable[StatsPoint]
) -> tuple[GeneratorSample, ...]:
    """Each sample with the requests started in the second it covers (the second before its t)."""
    started = {p.t: p.started or p.requests for p in series if p.endpoint == ALL_ENDPOINTS}
    return tuple(dataclasses.replace(s, achieved_rate=started.get(round(s.t) - 1, 0)) for s in samples)


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    if not _in_main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    if not _in_main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
