"""Recovery time: how long after a fault was lifted the service behaved like its baseline again.

"Back to baseline" means, for one second of load (a journal bucket):
- it completed at least one request (a silent second is not a recovered one: the users are
  probably stuck waiting on timeouts),
- its error rate <= max(2 x baseline error rate, baseline error rate + 1 percentage point),
- its p95 <= 1.5 x baseline p95 + 20 ms.
The slack keeps a noisy but healthy second from counting as "not recovered". Recovery is
reached at the start of the first run of RECOVERY_STREAK such seconds in a row, searched
from the removal until the next fault (or the end of the load). Recovery time is that start
minus the removal time (never negative). A fault in the timeline more than once is judged by
its slowest recovery.
"""

from __future__ import annotations

from dataclasses import dataclass

from envsim.journal import ALL_ENDPOINTS, Journal
from envsim.journal.fault_windows import fault_windows
from envsim.verdict.metrics import per_second, points_for, window_stats
from envsim.verdict.phases import Interval, bucket_range, load_end, next_fault_start, resolve_phase

RECOVERY_STREAK = 3
ERROR_RATE_FACTOR = 2.0
ERROR_RATE_SLACK = 0.01
P95_FACTOR = 1.5
P95_SLACK = 0.020


@dataclass(frozen=True)
class RecoveryBounds:
    error_rate: float
    p95: float  # seconds

    def describe(self) -> str:
        return f"error rate <= {self.error_rate * 100:.2f}% and p95 <= {self.p95 * 1000:.0f}ms"


@dataclass(frozen=True)
class Recovery:
    seconds: float | None  # None: did not recover within the searched window
    searched: float  # seconds searched after the worst occurrence's removal
    bounds: RecoveryBounds | None
    problem: str | None = None  # no baseline, fault never applied/removed


def baseline_bounds(journal: Journal) -> RecoveryBounds | None:
    baseline = resolve_phase(journal, "baseline")
    stats = window_stats(points_for(journal, (ALL_ENDPOINTS,)), baseline.intervals)
    p95 = stats.percentile(0.95)
    if stats.error_rate is None or p95 is None:
        return None
    error_rate = max(stats.error_rate * ERROR_RATE_FACTOR, stats.error_rate + ERROR_RATE_SLACK)
    return RecoveryBounds(error_rate=error_rate, p95=p95 * P95_FACTOR + P95_SLACK)


def _recovered_at(journal: Journal, bounds: RecoveryBounds, window: Interval) -> float | None:
    seconds = bucket_range(window)
    stats = per_second(points_for(journal, (ALL_ENDPOINTS,)), seconds)
    streak_start = 0
    streak = 0
    for t in seconds:
        second = stats[t]
        p95 = second.percentile(0.95)
        healthy = (
            second.requests > 0
            and second.error_rate is not None
            and second.error_rate <= bounds.error_rate
            and p95 is not None
            and p95 <= bounds.p95
        )
        if healthy:
            if streak == 0:
                streak_start = t
            streak += 1
            if streak >= RECOVERY_STREAK:
                return float(streak_start)
        else:
            streak = 0
    return None


def measure_recovery(journal: Journal, fault: str) -> Recovery:
    occurrences = [w for w in fault_windows(journal.faults) if w.fault == fault]
    after = resolve_phase(journal, f"after:{fault}")
    if after.problem:
        return Recovery(None, 0.0, None, problem=after.problem)
    bounds = baseline_bounds(journal)
    if bounds is None:
        return Recovery(None, 0.0, None, problem="no requests in the baseline (before the first fault) to recover to")
    end = load_end(journal)
    all_windows = fault_windows(journal.faults)
    worst: Recovery | None = None
    for occurrence in occurrences:
        if occurrence.removed is None:
            continue
        removed = occurrence.removed
        window = Interval(removed, next_fault_start(all_windows, removed, end))
        at = _recovered_at(journal, bounds, window)
        # rounded to the millisecond so float noise of the subtraction never decides a bound
        this = Recovery(None if at is None else round(max(0.0, at - removed), 3), window.seconds, bounds)
        worst = this if worst is None else _slower(worst, this)
    assert worst is not None  # after.problem is set when no occurrence was removed
    return worst


def _slower(first: Recovery, second: Recovery) -> Recovery:
    """The worse of two recoveries: never recovering is worse than any time."""
    if first.seconds is None:
        return first
    if second.seconds is None or second.seconds > first.seconds:
        return second
    return first
