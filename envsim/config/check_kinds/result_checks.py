"""Parts shared by the checks measured on the live stack after the load (sql, http, redis,
exec, stub): the service they read, and the expected value of a counted check, which is a
number or a count of the run's requests (`equals: {successes: checkout}`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from envsim.config.check_kinds import record
from envsim.config.check_kinds.kind import (
    COMPARATORS,
    LABEL_SYMBOLS,
    Judgement,
    Measurements,
    ProbeRecord,
    ScenarioContext,
    compare,
)
from envsim.config.refs import mapping, unknown
from envsim.config.yamlload import TreePath
from envsim.errors import Problem


def written_comparator(written: Mapping[str, Any]) -> Any:
    return next((c for c in COMPARATORS if c in written), None)


def build_expected(
    written: Mapping[str, Any], comparator: str | None, context: ScenarioContext
) -> tuple[float | None, tuple[str, str] | None]:
    """A comparator's value: a number, or a count of the run's requests ({successes: TASK})."""
    if comparator is None:
        return None, None
    value = written[comparator]
    if isinstance(value, dict):
        ((what, endpoint),) = value.items()
        return None, (what, context.endpoint(endpoint) or endpoint)
    return float(value), None


def expected_text(check: Any) -> str:
    if check.expected_count_of is not None:
        target = f"{check.expected_count_of[0]} of {check.expected_count_of[1]}"
    else:
        target = f"{check.expected:g}" if check.expected is not None else "?"
    tolerance = f" ± {check.tolerance:g}" if check.tolerance else ""
    return f"{LABEL_SYMBOLS[check.comparator or 'equals']} {target}{tolerance}"


def expected_record(check: Any) -> dict[str, Any]:
    return {
        "expected": check.expected,
        "expected_count_of": list(check.expected_count_of) if check.expected_count_of else None,
        "tolerance": check.tolerance,
    }


def expected_from_record(data: Mapping[str, Any], where: str, required: bool = True) -> dict[str, Any]:
    count_of = data.get("expected_count_of")
    expected = data.get("expected")
    if required and count_of is None and expected is None:
        raise ValueError(f"{where}: check needs expected or expected_count_of")
    if count_of is not None and (
        not isinstance(count_of, (list, tuple)) or len(count_of) != 2 or count_of[0] not in ("successes", "failures")
    ):
        raise ValueError(f"{where}: expected_count_of must be [successes|failures, endpoint]")
    return {
        "expected": None if expected is None else record.number(expected, where, "expected"),
        "expected_count_of": None if count_of is None else (str(count_of[0]), str(count_of[1])),
        "tolerance": record.number(data.get("tolerance", 0.0), where, "tolerance"),
    }


def counted_refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    """Tasks named in a count (`equals: {successes: TASK}`) that the load does not declare."""
    problems = []
    known = [*context.task_names, *context.by_request]
    for comparator in COMPARATORS:
        for what, task in mapping(written.get(comparator)).items():
            if isinstance(task, str) and context.declarative and context.endpoint(task) is None:
                problems.append(context.problem(here + (comparator, what), unknown("task", task, known)))
    return problems


def service_refs(
    written: Mapping[str, Any],
    key: str,
    here: TreePath,
    context: ScenarioContext,
    fits: Callable[[Any], str | None] = lambda service: None,
) -> list[Problem]:
    """The service a result check reads must be in the profile, and fit it (`fits`: why not)."""
    service = mapping(written.get(key)).get("service")
    if context.profile is None or not isinstance(service, str):
        return []
    services = [s.name for s in context.profile.services]
    if service not in services:
        return [context.problem(here + (key, "service"), unknown("service", service, services))]
    why = fits(context.profile.service(service))
    return [context.problem(here + (key, "service"), why)] if why else []


def expected_value(check: Any, measurements: Measurements) -> tuple[float | None, str]:
    """The bound: a number, or the run's count; (None, reason) when the run has no such count."""
    if check.expected_count_of is not None:
        what, endpoint = check.expected_count_of
        count = measurements.run_count(what, endpoint)
        if count is None:
            return None, f"no data: the run recorded no requests for endpoint {endpoint!r}"
        return float(count), f"{what} of {endpoint}"
    return check.expected, "expected"


def judge_counted(
    check: Any,
    cid: str,
    measurements: Measurements,
    *,
    unit: str,
    failure: str,
    measured: Callable[[ProbeRecord], str],
    comparator: str | None = None,
) -> Judgement:
    """A probed number against its bound (a number or a task's count): no bound, no probe, a
    probe that failed (`failure`: what did), else the comparison."""
    comparator = comparator or check.comparator

    def result(passed: bool, value: float | None, bound: float | None, reason: str) -> Judgement:
        return Judgement(passed, value, bound, unit, reason, comparator)

    expected, source = expected_value(check, measurements)
    if expected is None:
        return result(False, None, None, source)
    probe = measurements.latest_probe(cid)
    if probe is None:
        return result(False, None, expected, f"no data: no probe result recorded for {cid}")
    if not probe.ok or probe.value is None:
        return result(False, None, expected, f"{failure}: {probe.detail or 'no value returned'}")
    passed = compare(probe.value, comparator, expected, check.tolerance)
    return result(
        passed, probe.value, expected, f"{measured(probe)}; {bound_detail(source, comparator, expected, check)}"
    )


# How a bound reads in a check's detail: "expected <= 100", so a count check's comparator shows.
_DETAIL_SYMBOLS = {"below": "<", "above": ">", "equals": "=", "at_most": "<=", "at_least": ">="}


def bound_detail(source: str, comparator: str, expected: float, check: Any) -> str:
    """The bound as the detail shows it: `expected <= 100`, or a run count it stands for
    (`successes of POST /orders = 600`, with the comparator when it is not equality)."""
    symbol = _DETAIL_SYMBOLS.get(comparator, comparator)
    tolerance = f", tolerance {check.tolerance:g}" if check.tolerance else ""
    if source == "expected":
        return f"expected {symbol} {expected:g}{tolerance}"
    if comparator == "equals":
        return f"{source} = {expected:g}{tolerance}"
    return f"bound {symbol} {expected:g} ({source}){tolerance}"
