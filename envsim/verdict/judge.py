"""The verdict: the journal's checks judged against the journal's measurements. Pure, no I/O.

A check with nothing to measure (no requests in its window, an endpoint the run never hit,
a missing probe) fails with the reason; it never passes by default.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

from envsim.config.expr import ExprError, evaluate, parse as parse_expression
from envsim.config.model import (
    Check,
    CommandInvariant,
    HttpInvariant,
    MetricCheck,
    RecoveryCheck,
    RedisInvariant,
    SqlInvariant,
    StubInvariant,
)
from envsim.journal import ALL_ENDPOINTS, Journal, ProbeResult
from envsim.verdict.failures import describe_in_flight, in_flight_at_end, phase_failures, top_reasons
from envsim.verdict.metrics import endpoint_keys, points_for, resolve_endpoint, window_stats
from envsim.verdict.phases import resolve_phase
from envsim.verdict.recovery import RECOVERY_STREAK, measure_recovery
from envsim.verdict.result import CheckResult, Verdict
from envsim.config.check_text import LATENCY_METRICS
from envsim.journal.checks import check_id, default_label

UNITS = {**{m: "s" for m in LATENCY_METRICS}, "error_rate": "ratio", "rps": "rps"}


def compare(measured: float, comparator: str, bound: float, tolerance: float = 0.0) -> bool:
    """Whether `measured` satisfies the comparator; tolerance widens the bound (absolute)."""
    if comparator == "below":
        return measured < bound + tolerance
    if comparator == "at_most":
        return measured <= bound + tolerance
    if comparator == "above":
        return measured > bound - tolerance
    if comparator == "at_least":
        return measured >= bound - tolerance
    if comparator == "equals":
        return math.isclose(measured, bound, abs_tol=tolerance + 1e-9)
    raise ValueError(f"unknown comparator {comparator!r}")


def _where(check: MetricCheck) -> str:
    place = f"endpoint {check.endpoint!r}" if check.endpoint else "all requests"
    kind, _, fault = check.phase.partition(":")
    when = {"run": "whole run", "baseline": "baseline"}.get(check.phase, f"{kind} {fault}")
    return f"{place}, {when}"


def judge_metric(journal: Journal, check: MetricCheck, cid: str, label: str) -> CheckResult:
    unit = UNITS.get(check.metric, "")

    def result(passed: bool, measured: float | None, reason: str) -> CheckResult:
        return CheckResult(cid, label, passed, measured, check.bound, unit, reason, check.comparator, "metric")

    phase = resolve_phase(journal, check.phase)
    if phase.problem:
        return result(False, None, f"no data: {phase.problem}")
    keys = resolve_endpoint(journal, check.endpoint)
    if keys is None:
        known = ", ".join(endpoint_keys(journal)) or "none"
        return result(False, None, f"no data: the run recorded no requests for endpoint {check.endpoint!r} (recorded: {known})")
    stats = window_stats(points_for(journal, keys), phase.intervals)
    if stats.requests == 0:
        return result(False, None, f"no data: no requests completed ({_where(check)}, {stats.seconds}s)")
    measured = stats.metric(check.metric)
    if measured is None:
        return result(False, None, f"no data: no response times recorded ({_where(check)})")
    passed = compare(measured, check.comparator, check.bound)
    reason = f"{stats.requests} requests in {stats.seconds}s ({_where(check)})"
    hanging = describe_in_flight(*in_flight_at_end(journal, phase.intervals))
    if hanging:
        reason += f"; at its end {hanging}"
    checked = result(passed, measured, reason)
    if not passed and check.metric != "rps":  # what the failed requests of the window said
        reasons = top_reasons(points_for(journal, tuple(endpoint_keys(journal)) if keys == (ALL_ENDPOINTS,) else keys),
                              phase.intervals)
        checked = replace(checked, top_failures=tuple(r.describe() for r in reasons))
    return checked


def judge_recovery(journal: Journal, check: RecoveryCheck, cid: str, label: str) -> CheckResult:
    def result(passed: bool, measured: float | None, reason: str) -> CheckResult:
        return CheckResult(cid, label, passed, measured, check.bound, "s", reason, check.comparator, "recovery")

    recovery = measure_recovery(journal, check.fault)
    if recovery.problem:
        return result(False, None, f"no data: {recovery.problem}")
    assert recovery.bounds is not None
    if recovery.seconds is None:
        return result(False, None, f"did not recover within {recovery.searched:.0f}s (back to baseline: {recovery.bounds.describe()})")
    passed = compare(recovery.seconds, check.comparator, check.bound)
    streak = f"{RECOVERY_STREAK}s in a row"
    return result(passed, recovery.seconds, f"back to baseline ({recovery.bounds.describe()}) for {streak}")


def _latest_probe(journal: Journal, cid: str) -> ProbeResult | None:
    probes = [p for p in journal.probes if p.check_id == cid]
    return max(probes, key=lambda p: p.t) if probes else None


def _run_count(journal: Journal, what: str, endpoint: str) -> int | None:
    keys = resolve_endpoint(journal, endpoint)
    if keys is None:
        return None
    stats = window_stats(points_for(journal, keys), resolve_phase(journal, "run").intervals)
    return stats.successes if what == "successes" else stats.failures


def _expected_value(journal: Journal, check: SqlInvariant | RedisInvariant | CommandInvariant | StubInvariant
                    ) -> tuple[float | None, str]:
    """The bound: a number, or the run's count; (None, reason) when the run has no such count."""
    if check.expected_count_of is not None:
        what, endpoint = check.expected_count_of
        count = _run_count(journal, what, endpoint)
        if count is None:
            return None, f"no data: the run recorded no requests for endpoint {endpoint!r}"
        return float(count), f"{what} of {endpoint}"
    return check.expected, "expected"


ResultOf = Callable[[bool, "float | None", "float | None", str], CheckResult]


def _judge_counted(journal: Journal, check: SqlInvariant | RedisInvariant | CommandInvariant | StubInvariant,
                   cid: str, result: ResultOf, comparator: str, failure: str,
                   measured: Callable[[ProbeResult], str]) -> CheckResult:
    """The shared way of a probed number against its bound (a number or a task's count): no
    bound, no probe, a probe that failed (`failure`: what did), else the comparison."""
    expected, source = _expected_value(journal, check)
    if expected is None:
        return result(False, None, None, source)
    probe = _latest_probe(journal, cid)
    if probe is None:
        return result(False, None, expected, f"no data: no probe result recorded for {cid}")
    if not probe.ok or probe.value is None:
        return result(False, None, expected, f"{failure}: {probe.detail or 'no value returned'}")
    passed = compare(probe.value, comparator, expected, check.tolerance)
    tolerance = f", tolerance {check.tolerance:g}" if check.tolerance else ""
    return result(passed, probe.value, expected, f"{measured(probe)}; {source} = {expected:g}{tolerance}")


def judge_sql(journal: Journal, check: SqlInvariant, cid: str, label: str) -> CheckResult:
    def result(passed: bool, measured: float | None, bound: float | None, reason: str) -> CheckResult:
        return CheckResult(cid, label, passed, measured, bound, "count", reason, check.comparator, "sql")

    return _judge_counted(journal, check, cid, result, check.comparator, "query failed",
                          lambda probe: f"query returned {probe.value:g}")


def judge_redis(journal: Journal, check: RedisInvariant, cid: str, label: str) -> CheckResult:
    def result(passed: bool, measured: float | None, bound: float | None, reason: str) -> CheckResult:
        return CheckResult(cid, label, passed, measured, bound, "count", reason, check.comparator, "redis")

    return _judge_counted(journal, check, cid, result, check.comparator, "redis-cli failed",
                          lambda probe: f"{' '.join(check.command)} returned {probe.value:g}")


def judge_command(journal: Journal, check: CommandInvariant, cid: str, label: str) -> CheckResult:
    comparator = check.comparator or "equals"

    def result(passed: bool, measured: float | None, bound: float | None, reason: str) -> CheckResult:
        unit = "count" if check.comparator else "exit"
        return CheckResult(cid, label, passed, measured, bound, unit, reason, comparator, "exec")

    expected: float | None = None
    source = ""
    if check.comparator is not None:
        expected, source = _expected_value(journal, check)
        if expected is None:
            return result(False, None, None, source)
    probe = _latest_probe(journal, cid)
    bound = expected if check.comparator else (None if check.exit_code is None else float(check.exit_code))
    if probe is None:
        return result(False, None, bound, f"no data: no probe result recorded for {cid}")
    if not probe.ok:
        return result(False, None, bound, f"command failed to run: {probe.detail or 'no output'}")
    exit_code = dict(probe.values).get("exit")
    output = f" (output: {probe.detail!r})" if probe.detail else ""
    if check.exit_code is not None and exit_code != check.exit_code:
        measured = float(exit_code) if isinstance(exit_code, int) and not check.comparator else None
        return result(False, measured, bound, f"exited with {exit_code}, expected {check.exit_code}{output}")
    if check.comparator is None:
        return result(True, None if exit_code is None else float(exit_code), bound, f"exited with {exit_code}{output}")
    assert expected is not None
    if probe.value is None:
        return result(False, None, expected, f"the output does not start with a number{output}")
    passed = compare(probe.value, comparator, expected, check.tolerance)
    tolerance = f", tolerance {check.tolerance:g}" if check.tolerance else ""
    return result(passed, probe.value, expected, f"output {probe.value:g}; {source} = {expected:g}{tolerance}")


def judge_http(journal: Journal, check: HttpInvariant, cid: str, label: str) -> CheckResult:
    def result(passed: bool, measured: float | None, reason: str) -> CheckResult:
        return CheckResult(cid, label, passed, measured, float(check.expect_status), "status", reason, "equals", "http")

    probe = _latest_probe(journal, cid)
    if probe is None:
        return result(False, None, f"no data: no probe result recorded for {cid}")
    if not probe.ok or probe.value is None:
        return result(False, None, f"request failed: {probe.detail or 'no status received'}")
    passed = int(probe.value) == check.expect_status
    answered = f"{check.method} {check.path} answered {probe.value:g}"
    if not check.expect or not passed:
        return result(passed, probe.value, answered)
    values = dict(probe.values)
    read = ", ".join(f"{k} = {json_text(v)}" for k, v in probe.values) or "no fields"
    try:
        holds = evaluate(parse_expression(check.expect), values)
    except ExprError as error:
        problem = probe.detail.partition("; ")[2] or error.message
        return result(False, probe.value, f"{answered}; {check.expect}: {problem} ({read})")
    return result(holds, probe.value, f"{answered}; {check.expect} is {'true' if holds else 'false'} with {read}")


def judge_stub(journal: Journal, check: StubInvariant, cid: str, label: str) -> CheckResult:
    """Counts compare with a number or a task's count; a header check and a backoff check pass
    when no call lacks the header / no retry came too soon."""
    comparator = check.comparator or "equals"
    unit = {"count": "calls", "header": "calls", "backoff": "retries"}[check.kind]

    def result(passed: bool, measured: float | None, bound: float | None, reason: str) -> CheckResult:
        return CheckResult(cid, label, passed, measured, bound, unit, reason, comparator, "stub")

    if check.kind == "count":
        return _judge_counted(journal, check, cid, result, comparator, "stub journal not read",
                              lambda probe: probe.detail)
    probe = _latest_probe(journal, cid)
    if probe is None:
        return result(False, None, 0.0, f"no data: no probe result recorded for {cid}")
    if not probe.ok or probe.value is None:
        return result(False, None, 0.0, f"stub journal not read: {probe.detail or 'no value returned'}")
    values = dict(probe.values)
    if check.kind == "header" and not values.get("calls"):
        return result(False, probe.value, 0.0, f"no data: no calls to check for {check.header}")
    if check.kind == "backoff" and not values.get("retries"):
        return result(True, 0.0, 0.0, f"no retries after {'/'.join(map(str, check.backoff_after))} "
                                      f"among {values.get('calls', 0)} calls")
    return result(probe.value == 0, probe.value, 0.0, probe.detail)  # no call without it / no retry too soon


def json_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value) if isinstance(value, (int, float)) or value in ("<object>", "<array>") else repr(value)


def judge_check(journal: Journal, check: Check, cid: str) -> CheckResult:
    label = check.label or default_label(check)
    if isinstance(check, MetricCheck):
        return judge_metric(journal, check, cid, label)
    if isinstance(check, RecoveryCheck):
        return judge_recovery(journal, check, cid, label)
    if isinstance(check, SqlInvariant):
        return judge_sql(journal, check, cid, label)
    if isinstance(check, HttpInvariant):
        return judge_http(journal, check, cid, label)
    if isinstance(check, RedisInvariant):
        return judge_redis(journal, check, cid, label)
    if isinstance(check, CommandInvariant):
        return judge_command(journal, check, cid, label)
    if isinstance(check, StubInvariant):
        return judge_stub(journal, check, cid, label)
    raise TypeError(f"not a check: {check!r}")


def judge(journal: Journal) -> Verdict:
    """Judge the checks the journal carries."""
    # probes are recorded under each check's id: its position in the scenario ("check-N")
    results = tuple(judge_check(journal, check, check_id(index)) for index, check in enumerate(journal.checks))
    notes: list[str] = []
    if journal.interrupted:
        notes.append("the run was interrupted")
    if journal.error:
        notes.append(f"the run failed: {journal.error}")
    if not results:
        notes.append("no checks defined")
    passed = all(r.passed for r in results) and not journal.interrupted and not journal.error
    return Verdict(
        passed, results, run_id=journal.run_id, scenario=journal.scenario, notes=tuple(notes),
        failure_reasons=phase_failures(journal),
    )
