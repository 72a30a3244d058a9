"""The verdict: the journal's checks judged against the journal's measurements. Pure, no I/O.

Each check is judged by its kind (envsim.config.check_kinds) over the journal's readings. A
check with nothing to measure (no requests in its window, an endpoint the run never hit, a
missing probe) fails with the reason; it never passes by default. A check measured from the
load while the load generator was saturated is inconclusive (envsim.verdict.saturation).
"""

from __future__ import annotations

from envsim.config.check_kinds import Check, kind_of
from envsim.config.check_kinds.kind import compare
from envsim.journal import Journal
from envsim.journal.checks import check_id, default_label
from envsim.verdict.failures import phase_failures
from envsim.verdict.generator_text import describe_generator
from envsim.verdict.measurements import JournalMeasurements
from envsim.verdict.result import CheckResult, Verdict
from envsim.verdict.saturation import host_contention, window_saturation
from envsim.verdict.worker_loss import worker_loss_reasons

__all__ = ["compare", "judge", "judge_check"]


def judge_check(journal: Journal, check: Check, cid: str, contention: str = "") -> CheckResult:
    kind = kind_of(check)
    judged = kind.judge(check, cid, JournalMeasurements(journal))
    # a reading of the load is only the app's when the generator delivered the load
    saturated = window_saturation(journal, kind.judged_phase(check)).reason if kind.probe is None else ""
    return CheckResult(
        cid,
        check.label or default_label(check),
        judged.passed and not saturated,
        judged.measured,
        judged.bound,
        judged.unit,
        judged.reason,
        judged.comparator,
        kind.name,
        judged.top_failures,
        inconclusive=saturated,
        contention=contention if kind.name == "metric" and judged.unit == "s" else "",  # latency checks only
    )


def _saturated(results: tuple[CheckResult, ...], journal: Journal) -> tuple[str, ...]:
    """The run's reason to be inconclusive when no check failed outright but some read a
    saturated load generator; a check that failed for real, or a failed run, stands."""
    undecided = [r for r in results if r.inconclusive]
    failed = any(not r.passed and not r.inconclusive for r in results) or journal.interrupted or journal.error
    if not undecided or failed:
        return ()
    first = undecided[0]
    others = f" (and {len(undecided) - 1} more checks)" if len(undecided) > 1 else ""
    return (f"{first.check_id} {first.label}{others}: {first.inconclusive}",)


def judge(journal: Journal) -> Verdict:
    """Judge the checks the journal carries."""
    # probes are recorded under each check's id: its position in the scenario ("check-N")
    contention = host_contention(journal)
    results = tuple(
        judge_check(journal, check, check_id(index), contention) for index, check in enumerate(journal.checks)
    )
    inconclusive = worker_loss_reasons(journal) + _saturated(results, journal)
    notes: list[str] = list(inconclusive)
    if journal.interrupted:
        notes.append("the run was interrupted")
    if journal.error:
        notes.append(f"the run failed: {journal.error}")
    if not results:
        notes.append("no checks defined")
    passed = all(r.passed for r in results) and not journal.interrupted and not journal.error and not inconclusive
    return Verdict(
        passed,
        results,
        run_id=journal.run_id,
        scenario=journal.scenario,
        notes=tuple(notes),
        failure_reasons=phase_failures(journal),
        inconclusive=inconclusive,
        generator=describe_generator(journal),
    )
