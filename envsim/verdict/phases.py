"""Phases of a run, from the faults' *actual* times in the journal (not the scheduled ones).

- "run": all of the load.
- "baseline": load start until the first fault took effect (all of the load when none did).
- "during:F": from F applied until F removed (or the end of the load if it never was).
- "after:F": from F removed until the next fault of any kind took effect, or the end of the
  load. It stops at the next fault so that "after" measures F's aftermath only, not the
  next fault's damage.

A fault in the timeline more than once gives a phase of several intervals.

Windows are in seconds from load start; the journal's stats are per-second buckets
[t, t + 1), and a bucket belongs to the window that holds its midpoint (t + 0.5), so every
bucket lands in exactly one of two adjacent windows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from envsim.journal import FaultEvent, Journal
from envsim.journal.fault_windows import FaultWindow, fault_windows


@dataclass(frozen=True)
class Interval:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class Phase:
    name: str
    intervals: tuple[Interval, ...]
    problem: str | None = None  # why this phase has no window (fault never applied, never removed)


def load_end(journal: Journal) -> float:
    """Seconds of load, stretched to cover every recorded bucket (the last second may be partial)."""
    last_bucket = max((point.t + 1 for point in journal.series), default=0)
    return max(journal.duration, float(last_bucket))


def bucket_range(interval: Interval) -> range:
    """The per-second buckets whose midpoint lies in [start, end)."""
    return range(math.ceil(interval.start - 0.5), math.ceil(interval.end - 0.5))


@dataclass(frozen=True)
class Buckets:
    """The per-second buckets of several intervals, as sorted disjoint ranges: membership and
    size without listing every second (a journal's times are not trusted to be small)."""

    ranges: tuple[range, ...]

    @classmethod
    def of(cls, intervals: Iterable[Interval]) -> Buckets:
        merged: list[range] = []
        for r in sorted((bucket_range(i) for i in intervals), key=lambda r: r.start):
            if not len(r):
                continue
            if merged and r.start <= merged[-1].stop:
                merged[-1] = range(merged[-1].start, max(merged[-1].stop, r.stop))
            else:
                merged.append(r)
        return cls(tuple(merged))

    def __contains__(self, t: object) -> bool:
        return any(t in r for r in self.ranges)

    def __len__(self) -> int:
        return sum(len(r) for r in self.ranges)


def _failed_detail(faults: tuple[FaultEvent, ...], fault: str) -> str | None:
    for event in faults:
        if event.fault == fault and event.action == "failed":
            return event.detail or "no detail recorded"
    return None


def _missing_fault(journal: Journal, fault: str) -> str:
    failed = _failed_detail(journal.faults, fault)
    if failed is not None:
        return f"fault {fault} failed to apply ({failed})"
    return f"fault {fault} was never applied in this run"


def next_fault_start(windows: tuple[FaultWindow, ...], after: float, end: float) -> float:
    """When the next fault (any) took effect at or after `after`; `end` when none did."""
    return min((w.applied for w in windows if w.applied >= after), default=end)


def resolve_phase(journal: Journal, name: str) -> Phase:
    end = load_end(journal)
    windows = fault_windows(journal.faults)
    if name == "run":
        return Phase(name, (Interval(0.0, end),))
    if name == "baseline":
        first = min((w.applied for w in windows), default=end)
        return Phase(name, (Interval(0.0, min(first, end)),))
    kind, _, fault = name.partition(":")
    if kind not in ("during", "after") or not fault:
        return Phase(name, (), problem=f"unknown phase {name!r} (run, baseline, during:FAULT, after:FAULT)")
    occurrences = [w for w in windows if w.fault == fault]
    if not occurrences:
        return Phase(name, (), problem=_missing_fault(journal, fault))
    if kind == "during":
        return Phase(name, tuple(Interval(w.applied, w.removed if w.removed is not None else end) for w in occurrences))
    removed = [w.removed for w in occurrences if w.removed is not None]
    if not removed:
        return Phase(name, (), problem=f"fault {fault} was never removed, so there is no 'after'")
    return Phase(name, tuple(Interval(r, next_fault_start(windows, r, end)) for r in removed))
