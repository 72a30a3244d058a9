"""Observers of a run: no-op hooks, a live terminal view and plain periodic lines.

The run loop calls the hooks and never looks at what an observer does with them, so console
progress, reports or tests subscribe without touching the loop. `on_fault` is called from
the fault scheduler's thread; the views below guard their state with a lock.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from envsim.journal import ALL_ENDPOINTS, FaultEvent, StatsPoint, TimelineStep, percentile_ms
from envsim.run.load_result import LoadResult

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table


@dataclass(frozen=True)
class RunStart:
    duration: float  # planned seconds of load
    users: int
    target_url: str
    timeline: tuple[TimelineStep, ...] = ()
    workers: int = 0
    locust_version: str = ""


class RunObserver:
    """Hooks with no-op defaults; subclass and override what you need."""

    def on_start(self, start: RunStart) -> None:
        pass

    def on_second(self, points: Sequence[StatsPoint]) -> None:
        """The points of one second: the ALL_ENDPOINTS aggregate first, then each endpoint."""

    def on_fault(self, event: FaultEvent) -> None:
        pass

    def on_end(self, result: LoadResult) -> None:
        pass


class ObserverGroup(RunObserver):
    """Fans each hook out to several observers, in order."""

    def __init__(self, *observers: RunObserver):
        self.observers = observers

    def on_start(self, start: RunStart) -> None:
        for observer in self.observers:
            observer.on_start(start)

    def on_second(self, points: Sequence[StatsPoint]) -> None:
        for observer in self.observers:
            observer.on_second(points)

    def on_fault(self, event: FaultEvent) -> None:
        for observer in self.observers:
            observer.on_fault(event)

    def on_end(self, result: LoadResult) -> None:
        for observer in self.observers:
            observer.on_end(result)


@dataclass(frozen=True)
class Snapshot:
    """What the views show: the latest completed second and the faults active at its end."""

    elapsed: float
    total: float
    users: int
    rps: float  # requests begun in the second, whether or not they have ended
    p95_ms: int | None
    error_rate: float | None  # of the second's requests that ended; None when none had
    active_faults: tuple[str, ...]
    in_flight: int = 0  # requests started and not yet ended when the second ended
    oldest_in_flight: float = 0.0  # the oldest of them's age, seconds

    def rps_text(self) -> str:
        """e.g. `0.0 (12 in flight, oldest 4.1s)`: a hang never reads as an idle second."""
        if not self.in_flight:
            return f"{self.rps:.1f}"
        return f"{self.rps:.1f} ({self.in_flight} in flight, oldest {self.oldest_in_flight:.1f}s)"

    def errors_text(self) -> str:
        return "-" if self.error_rate is None else f"{self.error_rate:.1%}"

    def line(self) -> str:
        p95 = "-" if self.p95_ms is None else f"{self.p95_ms}ms"
        faults = ", ".join(self.active_faults) or "none"
        return (
            f"{self.elapsed:5.0f}s/{self.total:.0f}s  users {self.users}  rps {self.rps_text()}  "
            f"p95 {p95}  errors {self.errors_text()}  faults: {faults}"
        )


class _Tracker(RunObserver):
    """Keeps the state the views need; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start: RunStart | None = None
        self._t0 = time.monotonic()
        self._last: StatsPoint | None = None
        self._events: list[FaultEvent] = []  # applied/removed, with their `actual` offsets

    def on_start(self, start: RunStart) -> None:
        with self._lock:
            self._start, self._t0 = start, time.monotonic()

    def on_second(self, points: Sequence[StatsPoint]) -> None:
        aggregate = next((p for p in points if p.endpoint == ALL_ENDPOINTS), None)
        # a second is shown once, when it ended; its requests still under way are "in flight"
        if aggregate is not None and (self._last is None or aggregate.t >= self._last.t):
            with self._lock:
                self._last = aggregate

    def on_fault(self, event: FaultEvent) -> None:
        if event.action in ("applied", "removed"):
            with self._lock:
                self._events.append(event)

    def _active_at(self, offset: float) -> tuple[str, ...]:
        """The faults applied and not yet removed at `offset` seconds from load start."""
        active: dict[str, None] = {}
        for event in sorted(self._events, key=lambda e: e.actual):
            if event.actual > offset:
                break
            if event.action == "applied":
                active[event.fault] = None
            else:
                active.pop(event.fault, None)
        return tuple(active)

    def snapshot(self) -> Snapshot:
        with self._lock:
            last, total = self._last, (self._start.duration if self._start else 0.0)
            elapsed = min(time.monotonic() - self._t0, total) if total else time.monotonic() - self._t0
            return Snapshot(
                elapsed=elapsed,
                total=total,
                users=last.users if last else 0,
                # requests count as they start; max() keeps clients the start hook misses counted
                rps=float(max(last.started, last.requests)) if last else 0.0,
                p95_ms=percentile_ms(last.response_times, 0.95) if last else None,
                error_rate=(last.failures / last.requests) if last and last.requests else None,
                # The stats are for [t, t + 1): show the faults of that same moment, not of now.
                active_faults=self._active_at(last.t + 1) if last else (),
                in_flight=last.in_flight if last else 0,
                oldest_in_flight=last.oldest_in_flight if last else 0.0,
            )


class PlainProgress(_Tracker):
    """One line every `every` seconds of data: for logs and CI, where stdout is not a TTY."""

    def __init__(self, stream: IO[str] | None = None, every: int = 5):
        super().__init__()
        self.stream = stream or sys.stdout
        self.every = every

    def on_second(self, points: Sequence[StatsPoint]) -> None:
        super().on_second(points)
        if points and (points[0].t + 1) % self.every == 0:
            print(self.snapshot().line(), file=self.stream, flush=True)

    def on_fault(self, event: FaultEvent) -> None:
        super().on_fault(event)
        detail = f" ({event.detail})" if event.detail else ""
        print(f"{event.actual:5.1f}s  fault {event.fault} {event.action}{detail}", file=self.stream, flush=True)


class LiveProgress(_Tracker):
    """A rich Live panel redrawn a few times a second while the load runs."""

    def __init__(self, console: Console | None = None):
        super().__init__()
        from rich.console import Console  # the view is optional: keep rich off other paths

        self.console = console or Console()
        self._live: Live | None = None

    def on_start(self, start: RunStart) -> None:
        from rich.live import Live

        super().on_start(start)
        self._live = Live(get_renderable=self._render, console=self.console, refresh_per_second=4, transient=False)
        self._live.start()

    def on_end(self, result: LoadResult) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _render(self) -> Table:
        from rich.table import Table

        snap = self.snapshot()
        table = Table.grid(padding=(0, 2))
        table.add_row("elapsed", f"{snap.elapsed:.0f}s / {snap.total:.0f}s")
        table.add_row("users", str(snap.users))
        table.add_row("rps", snap.rps_text())
        table.add_row("p95", "-" if snap.p95_ms is None else f"{snap.p95_ms} ms")
        table.add_row("errors", snap.errors_text())
        table.add_row("faults", ", ".join(snap.active_faults) or "none")
        return table


def console_observer(stream: IO[str] | None = None) -> RunObserver:
    """The live view on a terminal, plain lines every 5 s otherwise."""
    stream = stream or sys.stdout
    if stream.isatty():
        return LiveProgress()
    return PlainProgress(stream)
