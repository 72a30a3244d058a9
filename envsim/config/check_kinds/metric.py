"""`{metric: p95, below: 500ms}`: a bound on what the load measured, over the run, its baseline,
during a fault or after it, for all requests or one endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.build_profile import seconds
from envsim.config.check_kinds import record
from envsim.config.check_kinds.kind import (
    COMPARATORS,
    LABEL_SYMBOLS,
    CheckKind,
    Comparator,
    Judgement,
    Measurements,
    ScenarioContext,
    compare,
    fault_refs,
)
from envsim.config.refs import unknown
from envsim.config.yamlload import TreePath
from envsim.errors import Problem
from envsim.units import format_duration, parse_percent, percent_out_of_range

LATENCY_METRICS = ("p50", "p90", "p95", "p99", "avg", "max")
METRICS = LATENCY_METRICS + ("error_rate", "rps")
UNITS = {**{m: "s" for m in LATENCY_METRICS}, "error_rate": "ratio", "rps": "rps"}


@dataclass(frozen=True)
class MetricCheck:
    """A bound on a measured metric: p50/p95/p99/avg/max latency (seconds), error_rate, rps."""

    metric: str
    comparator: Comparator
    bound: float
    endpoint: str | None = None  # task name or "METHOD /path"; None: all requests
    phase: str = "run"  # "run", "baseline", "during:FAULT", "after:FAULT"
    label: str = ""  # as the user wrote it, for reports


def bound_text(metric: str, bound: float) -> str:
    """A bound in the unit a user writes it in: ms/s for latency, % for rates."""
    if metric in LATENCY_METRICS or metric == "recovery_time":
        return format_duration(bound)
    if metric == "error_rate":
        return f"{bound * 100:g}%"
    return f"{bound:g}"


def _build(written: Mapping[str, Any], context: ScenarioContext) -> MetricCheck:
    metric = written["metric"]
    comparator = next(c for c in COMPARATORS if c in written)
    value = written[comparator]
    if metric in LATENCY_METRICS:
        bound = seconds(value, 0.0) or 0.0
    else:
        bound = (parse_percent(value) or 0.0) if metric == "error_rate" else float(value)
    endpoint = written.get("endpoint")
    if endpoint is not None:
        endpoint = context.endpoint(endpoint) or endpoint
    phase = written.get("phase", "run")
    if "during" in written:
        phase = f"during:{written['during']}"
    elif "after" in written:
        phase = f"after:{written['after']}"
    return MetricCheck(metric=metric, comparator=comparator, bound=bound, endpoint=endpoint, phase=phase)


def _refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    problems = []
    endpoint = written.get("endpoint")
    if isinstance(endpoint, str) and context.declarative and context.endpoint(endpoint) is None:
        several = context.by_request.get(" ".join(endpoint.split()), ())
        if len(several) > 1:
            problems.append(
                context.problem(
                    here + ("endpoint",), f"'{endpoint}' is sent by several tasks ({', '.join(several)}); name one"
                )
            )
        else:
            problems.append(
                context.problem(
                    here + ("endpoint",), unknown("task", endpoint, [*context.task_names, *context.by_request])
                )
            )
    if written.get("metric") == "error_rate":
        problems += [
            context.problem(here + (c,), "must be between 0% and 100%")
            for c in COMPARATORS
            if percent_out_of_range(written.get(c))
        ]
    return problems + fault_refs(written, here, context)


def _label(check: MetricCheck) -> str:
    """e.g. `p95 of browse < 300ms during db-slow`."""
    text = check.metric + (f" of {check.endpoint}" if check.endpoint else "")
    text += f" {LABEL_SYMBOLS[check.comparator]} {bound_text(check.metric, check.bound)}"
    if check.phase == "baseline":
        return text + " in the baseline"
    if check.phase != "run":
        kind, _, fault = check.phase.partition(":")
        return text + f" {kind} {fault}"
    return text


def _to_record(check: MetricCheck) -> dict[str, Any]:
    return {
        "metric": check.metric,
        "comparator": check.comparator,
        "bound": check.bound,
        "endpoint": check.endpoint,
        "phase": check.phase,
    }


def _from_record(data: Mapping[str, Any], where: str, label: str) -> MetricCheck:
    metric = record.field(data, "metric", where)
    if metric not in METRICS:
        raise ValueError(f"{where}: unknown metric {metric!r}")
    return MetricCheck(
        metric=metric,
        comparator=record.comparator(data, where),
        bound=record.number(record.field(data, "bound", where), where, "bound"),
        endpoint=data.get("endpoint") or None,
        phase=str(data.get("phase") or "run"),
        label=label,
    )


def _where(check: MetricCheck) -> str:
    place = f"endpoint {check.endpoint!r}" if check.endpoint else "all requests"
    kind, _, fault = check.phase.partition(":")
    when = {"run": "whole run", "baseline": "baseline"}.get(check.phase, f"{kind} {fault}")
    return f"{place}, {when}"


def _judge(check: MetricCheck, cid: str, measurements: Measurements) -> Judgement:
    def result(passed: bool, measured: float | None, reason: str, failures: tuple[str, ...] = ()) -> Judgement:
        return Judgement(passed, measured, check.bound, UNITS.get(check.metric, ""), reason, check.comparator, failures)

    window = measurements.window(check.endpoint, check.phase)
    if window.problem:
        return result(False, None, window.problem)
    if window.requests == 0:
        return result(False, None, f"no data: no requests completed ({_where(check)}, {window.seconds}s)")
    measured = window.metric(check.metric)
    if measured is None:
        return result(False, None, f"no data: no response times recorded ({_where(check)})")
    passed = compare(measured, check.comparator, check.bound)
    reason = f"{window.requests} requests in {window.seconds}s ({_where(check)})"
    if window.in_flight:
        reason += f"; at its end {window.in_flight}"
    # what the failed requests of the window said
    failures = window.top_failures() if not passed and check.metric != "rps" else ()
    return result(passed, measured, reason, failures)


KIND = CheckKind(
    name="metric",
    model=MetricCheck,
    written_as="metric",
    schema="metric_check",
    claims=lambda written: "metric" in written and written["metric"] != "recovery_time",
    build=_build,
    refs=_refs,
    label=_label,
    to_record=_to_record,
    from_record=_from_record,
    probe=None,  # measured from the load itself
    judge=_judge,
    judged_phase=lambda check: check.phase,
)
