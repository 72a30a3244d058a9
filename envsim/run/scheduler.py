"""The fault scheduler: applies and clears faults at their offsets from load start.

It knows nothing of Docker or Toxiproxy: it drives a `FaultSwitch`. One thread walks the
timeline on a monotonic clock; `revert_all()` clears whatever is still active and must run
on every exit path of a run (normal end, error, SIGINT, SIGTERM).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from envsim.journal import FaultEvent, TimelineStep

APPLY, CLEAR = "apply", "clear"


class FaultSwitch(Protocol):
    """Turns a named fault on or off; returns once the change has taken effect. `apply` may
    return a note for the journal's event (how the fault was realised)."""

    def apply(self, name: str) -> str | None: ...

    def clear(self, name: str) -> None: ...


@dataclass(frozen=True, order=True)
class FaultAction:
    at: float  # seconds from load start
    order: int  # at equal times clears go first, so back-to-back faults never overlap
    kind: str
    fault: str


def plan_actions(timeline: Iterable[TimelineStep]) -> tuple[FaultAction, ...]:
    """The switch calls of a timeline in time order; a step ending at infinity is never
    cleared by the timeline (revert_all clears it)."""
    actions = []
    for step in timeline:
        actions.append(FaultAction(float(step.start), 1, APPLY, step.fault))
        if math.isfinite(step.end):
            actions.append(FaultAction(float(step.end), 0, CLEAR, step.fault))
    return tuple(sorted(actions))


class FaultScheduler:
    """Runs the timeline's actions in a thread; records a FaultEvent for each switch call.

    `actual` in an event is the offset when the switch call returned, i.e. when the change
    had taken effect. A fault whose apply failed still counts as possibly active: the switch
    may have half-applied it, so `revert_all()` clears it too (clear must be idempotent).
    """

    def __init__(
        self,
        timeline: Iterable[TimelineStep],
        switch: FaultSwitch,
        *,
        on_event: Callable[[FaultEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.actions = plan_actions(timeline)
        self._switch = switch
        self._on_event = on_event
        self._clock = clock
        self._t0: float | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one switch call at a time; events in call order
        self._active: dict[str, None] = {}  # insertion-ordered set
        self._events: list[FaultEvent] = []
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control

    def start(self, t0: float | None = None) -> None:
        """Start the timeline; `t0` is load start on this scheduler's clock (default: now)."""
        if self._thread is not None:
            raise RuntimeError("the fault scheduler was started already")
        self._t0 = self._clock() if t0 is None else t0
        self._thread = threading.Thread(target=self._run, name="envsim-fault-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """No further actions; waits for a switch call under way. Active faults stay active."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def revert_all(self, reason: str = "end of run") -> tuple[FaultEvent, ...]:
        """Stop the timeline and clear every fault still active. Safe to call more than once."""
        self.stop()
        with self._lock:
            for fault in list(self._active):
                now = self.offset()
                self._call(CLEAR, fault, scheduled=now, detail=reason)
        return self.events

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every action ran (or stop); True if the thread is done."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ------------------------------------------------------------------ state

    @property
    def events(self) -> tuple[FaultEvent, ...]:
        return tuple(self._events)

    @property
    def active(self) -> tuple[str, ...]:
        return tuple(self._active)

    def offset(self) -> float:
        """Seconds since load start (0 before start)."""
        return 0.0 if self._t0 is None else self._clock() - self._t0

    # ------------------------------------------------------------------ internals

    def _run(self) -> None:
        for action in self.actions:
            while not self._stop.is_set():
                remaining = action.at - self.offset()
                if remaining <= 0:
                    break
                self._stop.wait(min(remaining, 0.5))
            with self._lock:
                if self._stop.is_set():
                    return
                if action.kind == CLEAR and action.fault not in self._active:
                    continue  # cleared already (a later entry of the same fault ended first)
                self._call(action.kind, action.fault, scheduled=action.at)

    def _call(self, kind: str, fault: str, *, scheduled: float, detail: str = "") -> None:
        try:
            if kind == APPLY:
                self._active[fault] = None
                detail = self._switch.apply(fault) or detail
            else:
                self._switch.clear(fault)
                self._active.pop(fault, None)
        except Exception as exc:  # a switch failure is recorded, never stops the run
            self._record(FaultEvent(fault, "failed", scheduled, self.offset(), f"{kind}: {exc}"))
            return
        action = "applied" if kind == APPLY else "removed"
        self._record(FaultEvent(fault, action, scheduled, self.offset(), detail))

    def _record(self, event: FaultEvent) -> None:
        self._events.append(event)
        if self._on_event is not None:
            self._on_event(event)
