"""Why requests failed, and what was still hanging: read from the journal's per-second records.

Failure reasons are kept per endpoint and second (kind = "HTTP 502" or an exception class,
plus a truncated message); here they are summed over a window and the most frequent named.
Requests in flight are read at the end of a window: the last bucket inside it carries the
requests started and not yet ended when that second ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from envsim.journal import ALL_ENDPOINTS, Journal, StatsPoint
from envsim.journal.fault_windows import fault_windows
from envsim.verdict.metrics import points_for
from envsim.verdict.phases import Buckets, Interval, bucket_range, resolve_phase

TOP_REASONS = 3


@dataclass(frozen=True)
class ReasonCount:
    endpoint: str
    kind: str
    message: str
    count: int

    def describe(self) -> str:
        message = f" ({self.message})" if self.message and self.message != self.kind else ""
        where = f" on {self.endpoint}" if self.endpoint else ""
        return f"{self.count} x {self.kind}{message}{where}"


@dataclass(frozen=True)
class PhaseFailures:
    """The top failure reasons of one phase ("run", "baseline", "during:F", "after:F")."""

    phase: str
    failures: int
    reasons: tuple[ReasonCount, ...]


def top_reasons(
    points: Iterable[StatsPoint], intervals: Iterable[Interval], limit: int = TOP_REASONS
) -> tuple[ReasonCount, ...]:
    """The most frequent failure reasons of the endpoints' points inside the intervals."""
    buckets = Buckets.of(intervals)
    counts: dict[tuple[str, str, str], int] = {}
    for point in points:
        if point.t not in buckets or point.endpoint == ALL_ENDPOINTS:
            continue
        for reason in point.failure_reasons:
            key = (point.endpoint, reason.kind, reason.message)
            counts[key] = counts.get(key, 0) + reason.count
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(ReasonCount(endpoint, kind, message, n) for (endpoint, kind, message), n in ranked[:limit])


def in_flight_at_end(journal: Journal, intervals: Iterable[Interval]) -> tuple[int, float]:
    """(requests in flight, oldest one's age in s) when the window ended; the worst interval."""
    by_t = {p.t: p for p in journal.series if p.endpoint == ALL_ENDPOINTS}
    worst = (0, 0.0)
    for interval in intervals:
        seconds = bucket_range(interval)
        point = by_t.get(seconds[-1]) if len(seconds) else None
        if point is not None and (point.in_flight, point.oldest_in_flight) > worst:
            worst = (point.in_flight, point.oldest_in_flight)
    return worst


def describe_in_flight(count: int, oldest: float) -> str:
    """'N requests in flight for >= X s' (the oldest one's age), or '' when none were."""
    if count <= 0:
        return ""
    noun = "request" if count == 1 else "requests"
    return f"{count} {noun} in flight for >= {oldest:.1f}s"


def phase_failures(journal: Journal) -> tuple[PhaseFailures, ...]:
    """Top reasons over the whole run, then per phase (baseline, during/after each fault)."""
    names = ["run", "baseline"]
    for window in fault_windows(journal.faults):
        for name in (f"during:{window.fault}", f"after:{window.fault}"):
            if name not in names:
                names.append(name)
    result = []
    for name in names:
        phase = resolve_phase(journal, name)
        if phase.problem:
            continue
        buckets = Buckets.of(phase.intervals)
        failures = sum(p.failures for p in points_for(journal, (ALL_ENDPOINTS,)) if p.t in buckets)
        reasons = top_reasons(journal.series, phase.intervals)
        if failures or reasons:
            result.append(PhaseFailures(name, failures, reasons))
    return tuple(result)
