"""Why requests failed, as text every report shares: per check, and per phase of the run."""

from __future__ import annotations

from envsim.verdict.result import CheckResult, Verdict

PHASE_NAMES = {"run": "whole run", "baseline": "baseline"}


def phase_title(phase: str) -> str:
    kind, _, fault = phase.partition(":")
    return PHASE_NAMES.get(phase, f"{kind} {fault}")


def check_failures(result: CheckResult) -> str:
    """'top failures: 12 x HTTP 502 (...) on GET /x; ...', or '' when the check names none."""
    return "top failures: " + "; ".join(result.top_failures) if result.top_failures else ""


def result_status(result: CheckResult) -> str:
    return "PASS" if result.passed else "INCONCLUSIVE" if result.inconclusive else "FAIL"


def check_reason(result: CheckResult) -> str:
    """The check's reason, with why it is inconclusive first, and the machine's contention after."""
    if result.inconclusive:
        return f"inconclusive: {result.inconclusive} (the reading: {result.reason})"
    return f"{result.reason}; note: {result.contention}" if result.contention else result.reason


def detail_with_failures(result: CheckResult) -> str:
    extra = check_failures(result)
    return f"{check_reason(result)}; {extra}" if extra else check_reason(result)


def generator_line(verdict: Verdict) -> str:
    return f"load generator: {verdict.generator}" if verdict.generator else ""


def phase_lines(verdict: Verdict) -> list[str]:
    """One line per phase with failed requests: '<phase>: N failed: reason; reason'."""
    lines = []
    for phase in verdict.failure_reasons:
        reasons = "; ".join(r.describe() for r in phase.reasons) or "no reason recorded"
        lines.append(f"{phase_title(phase.phase)}: {phase.failures} failed: {reasons}")
    return lines
