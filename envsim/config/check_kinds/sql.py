"""`{sql: {service: db, query: ...}, equals: {successes: checkout}}`: a number a query returns
after the load (`:run_start` is the run's start), compared with a number or a task's count."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.check_kinds import record, result_checks
from envsim.config.check_kinds.kind import (
    CheckKind,
    Comparator,
    Judgement,
    Measurements,
    Probed,
    ProbeError,
    ProbeTools,
    ScenarioContext,
    whole_run,
)
from envsim.config.service_kind import POSTGRES, service_kind
from envsim.config.yamlload import TreePath
from envsim.errors import Problem


@dataclass(frozen=True)
class SqlInvariant:
    service: str
    query: str
    comparator: Comparator
    # what to compare against: a number, or a count from the run ("successes"/"failures" of an endpoint)
    expected: float | None = None
    expected_count_of: tuple[str, str] | None = None  # ("successes", "POST /orders")
    tolerance: float = 0.0  # absolute
    label: str = ""


def _build(written: Mapping[str, Any], context: ScenarioContext) -> SqlInvariant:
    comparator = result_checks.written_comparator(written)
    expected, count_of = result_checks.build_expected(written, comparator, context)
    return SqlInvariant(
        service=written["sql"]["service"],
        query=written["sql"]["query"],
        comparator=comparator,
        expected=expected,
        expected_count_of=count_of,
        tolerance=float(written.get("tolerance", 0)),
    )


def _not_postgres(service: Any) -> str | None:
    kind, description = service_kind(service)
    if kind in (POSTGRES, "unknown"):
        return None
    return (
        f"an sql check runs psql inside the service's container, but '{service.name}' is {description}, "
        "not a PostgreSQL database"
    )


def _refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    return result_checks.service_refs(written, "sql", here, context, _not_postgres) + result_checks.counted_refs(
        written, here, context
    )


def _label(check: SqlInvariant) -> str:
    return f"sql on {check.service} {result_checks.expected_text(check)}"


def _to_record(check: SqlInvariant) -> dict[str, Any]:
    return {
        "service": check.service,
        "query": check.query,
        "comparator": check.comparator,
        **result_checks.expected_record(check),
    }


def _from_record(data: Mapping[str, Any], where: str, label: str) -> SqlInvariant:
    return SqlInvariant(
        service=str(record.field(data, "service", where)),
        query=str(record.field(data, "query", where)),
        comparator=record.comparator(data, where),
        label=label,
        **result_checks.expected_from_record(data, where),
    )


def sql_with_run_start(query: str, tools: ProbeTools) -> str:
    # an ISO timestamp holds no quote to escape
    return query.replace(":run_start", f"'{tools.run_start.isoformat()}'::timestamptz")


def _probe(check: SqlInvariant, tools: ProbeTools) -> Probed:
    try:
        return Probed(True, tools.sql_number(check.service, sql_with_run_start(check.query, tools)), "")
    except ProbeError as error:
        return Probed(False, None, str(error))


def _judge(check: SqlInvariant, cid: str, measurements: Measurements) -> Judgement:
    return result_checks.judge_counted(
        check,
        cid,
        measurements,
        unit="count",
        failure="query failed",
        measured=lambda probe: f"query returned {probe.value:g}",
    )


KIND = CheckKind(
    name="sql",
    model=SqlInvariant,
    written_as="sql",
    schema="sql_check",
    claims=lambda written: "sql" in written,
    build=_build,
    refs=_refs,
    label=_label,
    to_record=_to_record,
    from_record=_from_record,
    probe=_probe,
    judge=_judge,
    judged_phase=whole_run,
)
