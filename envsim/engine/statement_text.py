"""The text of the databases' evidence, made safe and explainable: literals and secrets out of
statements and plans, the SQL that shows a statement's generic plan, Redis SLOWLOG entries
without their arguments. Pure: the collector (envsim.engine.statement_stats) runs the SQL.

pg_stat_statements already replaces a statement's constants with $1, $2, ...; what it keeps
(utility statements such as `ALTER ROLE ... PASSWORD '...'`, text it could not normalise) is
redacted here, so no value a user's data or credentials hold reaches a report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

REDACTED = "<redacted>"
# '...' with '' inside, E'...' with backslash escapes, and $tag$...$tag$ dollar quoting
_STRING = re.compile(r"(?:[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|\$([A-Za-z_]\w*|)\$.*?\$\1\$)", re.S)
# a number that is a value: not part of a name, not a $1 parameter
_NUMBER = re.compile(r"(?<![\w$.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
_PARAMETER = re.compile(r"\$(\d+)")
EXPLAINABLE = ("select", "insert", "update", "delete", "with", "values", "table", "merge")
# the first major with plan_cache_mode (12) and with EXPLAIN (GENERIC_PLAN) (16)
PLAN_CACHE_MODE_MAJOR = 12
GENERIC_PLAN_MAJOR = 16


def without_secrets(text: str, secrets: Iterable[str]) -> str:
    """Every secret value replaced, longest first (so no secret's tail survives)."""
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def redact_statement(query: str, secrets: Iterable[str] = ()) -> str:
    """A statement on one line, its string and number literals as `?`, secrets redacted."""
    text = _STRING.sub("'?'", without_secrets(query, secrets))
    text = _NUMBER.sub("?", text)
    return " ".join(text.split())


def redact_plan_line(line: str, secrets: Iterable[str] = ()) -> str:
    """A plan line with its string literals as `?` (costs and row counts stay: they are the plan)."""
    return _STRING.sub("'?'", without_secrets(line, secrets)).rstrip()


def explainable(query: str) -> bool:
    words = query.lstrip("( \n\t").split(None, 1)
    return bool(words) and words[0].lower() in EXPLAINABLE


def parameter_count(query: str) -> int:
    return max((int(n) for n in _PARAMETER.findall(_STRING.sub("''", query))), default=0)


def generic_plan_sql(major: int, query: str) -> tuple[str, str] | None:
    """(SQL whose output is the plan of `query` for any parameter values, how it was made), or
    None when this major cannot show one (before 12: see initplan_sql). Nothing runs the statement: EXPLAIN without ANALYZE,
    in a read-only transaction that is rolled back."""
    body = query.strip().rstrip(";")
    count = parameter_count(body)
    guard = "BEGIN READ ONLY;\nSET LOCAL statement_timeout = '10s';\n"
    if count == 0:
        return f"{guard}EXPLAIN {body};\nROLLBACK;\n", "EXPLAIN, not run"
    if major >= GENERIC_PLAN_MAJOR:
        return f"{guard}EXPLAIN (GENERIC_PLAN) {body};\nROLLBACK;\n", "EXPLAIN (GENERIC_PLAN), not run"
    if major >= PLAN_CACHE_MODE_MAJOR:
        nulls = ", ".join(["NULL"] * count)
        return (
            f"{guard}SET LOCAL plan_cache_mode = force_generic_plan;\n"
            f"PREPARE envsim_slowest AS {body};\nEXPLAIN EXECUTE envsim_slowest({nulls});\nROLLBACK;\n",
            "generic plan via PREPARE and EXPLAIN EXECUTE, not run",
        )
    return None


def parameter_types_sql(query: str) -> str:
    """SQL whose output is the types PostgreSQL infers for the statement's parameters (JSON)."""
    body = query.strip().rstrip(";")
    return (
        f"BEGIN READ ONLY;\nPREPARE envsim_slowest AS {body};\n"
        "SELECT coalesce(array_to_json(parameter_types::text[]), '[]') FROM pg_prepared_statements "
        "WHERE name = 'envsim_slowest';\nROLLBACK;\n"
    )


def initplan_sql(query: str, types: Sequence[str]) -> tuple[str, str]:
    """Before PostgreSQL 12 no plan is generic on demand: each parameter becomes a sub-select of
    a NULL of its type, which the planner cannot fold into a constant, so the plan is the one
    for an unknown value (an InitPlan feeds it), as a generic plan is."""

    def unknown_value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return f"(SELECT NULL::{types[index]})" if index < len(types) else match.group(0)

    body = _PARAMETER.sub(unknown_value, query.strip().rstrip(";"))
    sql = f"BEGIN READ ONLY;\nSET LOCAL statement_timeout = '10s';\nEXPLAIN {body};\nROLLBACK;\n"
    how = "EXPLAIN with each parameter an unknown value, not run; InitPlans number them $0, $1, ... as they appear"
    return sql, how


def statements_sql(major: int, limit: int) -> str:
    """The slowest statements by mean time as one JSON array, envsim's own queries left out."""
    suffix = "exec_time" if major >= 13 else "time"  # PostgreSQL 13 renamed mean_time and max_time
    return (
        "SELECT coalesce(json_agg(row_to_json(s)), '[]') FROM ("
        f"SELECT d.datname AS database, p.calls, round(p.mean_{suffix}::numeric, 3) AS mean_ms, "
        f"round(p.max_{suffix}::numeric, 3) AS max_ms, p.query "
        "FROM pg_stat_statements p JOIN pg_database d ON d.oid = p.dbid "
        "WHERE p.calls > 0 AND p.query NOT ILIKE '%pg_stat_statements%' "
        "AND p.query !~* '^\\s*(begin|commit|rollback|set|show|discard|deallocate)\\M' "
        f"ORDER BY p.mean_{suffix} DESC LIMIT {int(limit)}) s;\n"
    )


# SLOWLOG entries of the clients' own housekeeping (and of envsim reading the log) say nothing
_HOUSEKEEPING = ("HELLO", "SLOWLOG", "CONFIG", "AUTH", "PING", "CLIENT", "COMMAND", "INFO")


def slowlog_entries(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """`SLOWLOG GET` entries [id, time, microseconds, [command, args...], ...] as
    {command, ms}: the command's name and one `?` per argument (values are the users' data)."""
    entries = []
    for entry in raw:
        if not isinstance(entry, list) or len(entry) < 4 or not isinstance(entry[3], list) or not entry[3]:
            continue
        name = str(entry[3][0]).upper()
        if name in _HOUSEKEEPING or not isinstance(entry[2], (int, float)):
            continue
        arguments = len(entry[3]) - 1
        shown = " ".join(["?"] * min(arguments, 3)) + (" ..." if arguments > 3 else "")
        entries.append({"command": f"{name} {shown}".strip(), "ms": round(entry[2] / 1000, 3)})
    return entries
