"""Readings from one journal, as check kinds' judges ask for them (envsim.config.check_kinds.kind.Measurements)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from envsim.journal import ALL_ENDPOINTS, Journal, ProbeResult
from envsim.verdict.failures import describe_in_flight, in_flight_at_end, top_reasons
from envsim.verdict.metrics import WindowStats, endpoint_keys, points_for, resolve_endpoint, window_stats
from envsim.verdict.phases import resolve_phase
from envsim.verdict.recovery import RECOVERY_STREAK, measure_recovery


@dataclass(frozen=True)
class StatsWindow:
    problem: str = ""
    stats: WindowStats | None = None
    in_flight: str = ""
    failures: Callable[[], tuple[str, ...]] = field(default=lambda: ())

    @property
    def requests(self) -> int:
        return self.stats.requests if self.stats else 0

    @property
    def seconds(self) -> int:
        return self.stats.seconds if self.stats else 0

    def metric(self, name: str) -> float | None:
        return self.stats.metric(name) if self.stats else None

    def top_failures(self) -> tuple[str, ...]:
        return self.failures()


@dataclass(frozen=True)
class JournalRecovery:
    problem: str
    seconds: float | None
    searched: float
    baseline: str
    streak: int = RECOVERY_STREAK


class JournalMeasurements:
    def __init__(self, journal: Journal):
        self._journal = journal

    def latest_probe(self, check_id: str) -> ProbeResult | None:
        probes = [p for p in self._journal.probes if p.check_id == check_id]
        return max(probes, key=lambda p: p.t) if probes else None

    def run_count(self, what: str, endpoint: str) -> int | None:
        keys = resolve_endpoint(self._journal, endpoint)
        if keys is None:
            return None
        stats = window_stats(points_for(self._journal, keys), resolve_phase(self._journal, "run").intervals)
        return stats.successes if what == "successes" else stats.failures

    def window(self, endpoint: str | None, phase_name: str) -> StatsWindow:
        journal = self._journal
        phase = resolve_phase(journal, phase_name)
        if phase.problem:
            return StatsWindow(problem=f"no data: {phase.problem}")
        keys = resolve_endpoint(journal, endpoint)
        if keys is None:
            known = ", ".join(endpoint_keys(journal)) or "none"
            return StatsWindow(
                problem=f"no data: the run recorded no requests for endpoint {endpoint!r} (recorded: {known})"
            )
        # the failure reasons of all requests read every endpoint's points
        failing = tuple(endpoint_keys(journal)) if keys == (ALL_ENDPOINTS,) else keys
        return StatsWindow(
            stats=window_stats(points_for(journal, keys), phase.intervals),
            in_flight=describe_in_flight(*in_flight_at_end(journal, phase.intervals)),
            failures=lambda: tuple(r.describe() for r in top_reasons(points_for(journal, failing), phase.intervals)),
        )

    def recovery(self, fault: str) -> JournalRecovery:
        recovery = measure_recovery(self._journal, fault)
        if recovery.problem:
            return JournalRecovery(recovery.problem, None, recovery.searched, "")
        assert recovery.bounds is not None
        return JournalRecovery("", recovery.seconds, recovery.searched, recovery.bounds.describe())
