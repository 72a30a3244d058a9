"""`{metric: recovery_time, after: db-slow, below: 10s}`: how soon after a fault ends the
service is back to its baseline."""

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
from envsim.config.yamlload import TreePath
from envsim.errors import Problem
from envsim.units import format_duration


@dataclass(frozen=True)
class RecoveryCheck:
    fault: str
    bound: float  # seconds
    label: str = ""
    comparator: Comparator = "below"


def _build(written: Mapping[str, Any], context: ScenarioContext) -> RecoveryCheck:
    comparator = next(c for c in COMPARATORS if c in written)
    return RecoveryCheck(fault=written["after"], bound=seconds(written[comparator], 0.0) or 0.0, comparator=comparator)


def _refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    problems = [
        context.problem(here + (comparator,), "recovery_time takes 'below' or 'at_most'", key=True)
        for comparator in ("above", "at_least", "equals")
        if comparator in written
    ]
    fault = written.get("after")
    if isinstance(fault, str) and any("for" not in entry for entry in context.timeline_faults.get(fault, ())):
        problems.append(
            context.problem(
                here + ("after",),
                f"recovery is measured after a fault ends, but '{fault}' has no 'for' in the timeline",
            )
        )
    return problems + fault_refs(written, here, context)


def _label(check: RecoveryCheck) -> str:
    return f"recovery after {check.fault} {LABEL_SYMBOLS[check.comparator]} {format_duration(check.bound)}"


def _to_record(check: RecoveryCheck) -> dict[str, Any]:
    return {"fault": check.fault, "bound": check.bound, "comparator": check.comparator}


def _from_record(data: Mapping[str, Any], where: str, label: str) -> RecoveryCheck:
    return RecoveryCheck(
        fault=str(record.field(data, "fault", where)),
        bound=record.number(record.field(data, "bound", where), where, "bound"),
        label=label,
        # journals written before recovery checks carried a comparator meant "below"
        comparator=record.comparator(data, where) if "comparator" in data else "below",
    )


def _judge(check: RecoveryCheck, cid: str, measurements: Measurements) -> Judgement:
    def result(passed: bool, measured: float | None, reason: str) -> Judgement:
        return Judgement(passed, measured, check.bound, "s", reason, check.comparator)

    recovery = measurements.recovery(check.fault)
    if recovery.problem:
        return result(False, None, f"no data: {recovery.problem}")
    if recovery.seconds is None:
        return result(
            False, None, f"did not recover within {recovery.searched:.0f}s (back to baseline: {recovery.baseline})"
        )
    passed = compare(recovery.seconds, check.comparator, check.bound)
    return result(passed, recovery.seconds, f"back to baseline ({recovery.baseline}) for {recovery.streak}s in a row")


KIND = CheckKind(
    name="recovery",
    model=RecoveryCheck,
    written_as="metric",
    schema="metric_check",
    claims=lambda written: written.get("metric") == "recovery_time",
    build=_build,
    refs=_refs,
    label=_label,
    to_record=_to_record,
    from_record=_from_record,
    probe=None,  # measured from the load itself
    judge=_judge,
    judged_phase=lambda check: f"after:{check.fault}",
)
