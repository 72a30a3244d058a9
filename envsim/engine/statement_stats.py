"""What the databases were busy with during the load: PostgreSQL's slowest statements
(pg_stat_statements) with the plan of the slowest, and Redis's SLOWLOG.

Both are reset when the load starts and read once it has ended, so what they hold is the load's
(the whole load: a check of one fault window sees the run's slowest statements, marked as such).
Everything runs inside the service's own container (psql over the local socket as
POSTGRES_USER, redis-cli), so no credential leaves the container and no fault distorts it.
Collecting never fails a run: a database that cannot tell says why, in its evidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from envsim.config.profile_model import Profile, Service
from envsim.config.service_kind import POSTGRES, REDIS, service_kind
from envsim.engine.apply import StackHandle
from envsim.engine.run_engine import RunEngine
from envsim.engine.statement_text import (
    explainable,
    generic_plan_sql,
    initplan_sql,
    parameter_types_sql,
    redact_plan_line,
    redact_statement,
    slowlog_entries,
    statements_sql,
    without_secrets,
)
from envsim.plan.statements import statements_on

STATEMENTS_KEPT = 5
SLOWLOG_READ = 32
_PSQL_PLACE = re.compile(r"^psql:[^:]*:\d+: ")
SWITCH_ON = "`statements: true` on the service in the profile switches them on"


class DatabaseEvidence:
    """Resets the databases' statistics at the load's start (`start`) and reads them after it
    (`collect`), for the journal's extra: {"slow_statements": [...], "redis_slowlog": [...]}."""

    def __init__(self, engine: RunEngine, handle: StackHandle, profile: Profile):
        self._engine, self._handle = engine, handle
        self._secrets = tuple(handle.secrets.values())
        self._postgres = [s for s in profile.services if _kind(s) == POSTGRES]
        self._redis = [s for s in profile.services if _kind(s) == REDIS]
        self._problems: dict[str, str] = {}
        self._majors: dict[str, int] = {}

    def _say(self, service: str, problem: str) -> None:
        self._problems[service] = without_secrets(" ".join(problem.split()), self._secrets)[:300]

    def start(self) -> None:
        for service in self._postgres:
            if not statements_on(service):
                self._say(service.name, f"statement statistics are off for this service; {SWITCH_ON}")
                continue
            try:
                sql = self._sql(service.name)
                self._majors[service.name] = int(sql("SHOW server_version_num;", tuples_only=True)) // 10000
                sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements;\nSELECT pg_stat_statements_reset();")
            except Exception as error:  # a database that cannot tell must not stop the run
                self._say(service.name, f"no statement statistics: {_first_line(error)}{_why_not_loaded(error)}")
        for service in self._redis:
            try:
                self._redis_cli(service.name, "SLOWLOG", "RESET")
            except Exception as error:
                self._say(service.name, f"no SLOWLOG: {_first_line(error)}")

    def collect(self) -> dict[str, list[dict[str, Any]]]:
        """The evidence of each database, for the journal's extra (empty lists left out)."""
        statements = [self._statements(service.name) for service in self._postgres]
        slowlog = [self._slowlog(service.name) for service in self._redis]
        found = {"slow_statements": statements, "redis_slowlog": [e for e in slowlog if e is not None]}
        return {key: value for key, value in found.items() if value}

    def _statements(self, service: str) -> dict[str, Any]:
        if service in self._problems:
            return {"service": service, "problem": self._problems[service]}
        try:
            sql = self._sql(service)
            major = self._majors[service]
            rows = json.loads(sql(statements_sql(major, STATEMENTS_KEPT), tuples_only=True).strip())
        except Exception as error:
            self._say(service, f"statement statistics could not be read: {_first_line(error)}")
            return {"service": service, "problem": self._problems[service]}
        evidence: dict[str, Any] = {
            "service": service,
            "source": "pg_stat_statements",
            "statements": [
                {
                    "query": redact_statement(str(row.get("query", "")), self._secrets),
                    "calls": int(row.get("calls") or 0),
                    "mean_ms": float(row.get("mean_ms") or 0.0),
                    "max_ms": float(row.get("max_ms") or 0.0),
                }
                for row in rows
            ],
        }
        if rows:
            evidence.update(self._plan(sql, major, rows[0]))
        return evidence

    def _sql(self, service: str) -> Callable[..., str]:
        """psql in `service`'s container: (sql, tuples_only=, database=) -> its output."""
        return lambda text, **options: self._engine.sql(service, text, **options)

    def _plan(self, sql: Callable[..., str], major: int, row: dict[str, Any]) -> dict[str, Any]:
        """The plan of the slowest statement (never run), or why there is none."""
        query, database = str(row.get("query", "")), str(row.get("database") or "")
        if not explainable(query):
            return {"plan_problem": "not a statement EXPLAIN can plan"}
        try:
            made = generic_plan_sql(major, query)
            if made is None:  # before PostgreSQL 12: the parameters' types make unknown values
                types = json.loads(sql(parameter_types_sql(query), tuples_only=True, database=database))
                made = initplan_sql(query, [str(t) for t in types])
            statement, how = made
            output = sql(statement, tuples_only=True, database=database)
        except Exception as error:
            return {"plan_problem": without_secrets(_first_line(error), self._secrets)[:300]}
        plan = [redact_plan_line(line, self._secrets) for line in output.splitlines() if line.strip()]
        return {"plan": plan, "plan_note": how}

    def _slowlog(self, service: str) -> dict[str, Any] | None:
        if service in self._problems:
            return {"service": service, "problem": self._problems[service]}
        try:
            raw = json.loads(self._redis_cli(service, "--json", "SLOWLOG", "GET", str(SLOWLOG_READ)) or "[]")
        except Exception as error:
            self._say(service, f"SLOWLOG could not be read: {_first_line(error)}")
            return {"service": service, "problem": self._problems[service]}
        entries = slowlog_entries(raw if isinstance(raw, list) else [])
        return {"service": service, "entries": entries} if entries else None

    def _redis_cli(self, service: str, *arguments: str) -> str:
        code, stdout, stderr = self._engine.exec(service, ["redis-cli", "--no-auth-warning", *arguments])
        if code != 0 or stdout.startswith(("ERR", "NOAUTH")):
            raise RuntimeError(stderr.strip() or stdout.strip() or f"redis-cli exited with {code}")
        return stdout


def _kind(service: Service) -> str:
    try:
        return service_kind(service)[0]
    except Exception:  # a Dockerfile that cannot be read: not a database envsim knows
        return "unknown"


def _why_not_loaded(error: BaseException) -> str:
    """The likely reason when the server runs without the extension preloaded."""
    if "shared_preload_libraries" not in str(error):
        return ""
    return (
        "; the server was started without it (a command envsim could not extend, or a stack "
        "brought up by an older envsim: `envsim down`, then up again)"
    )


def _first_line(error: BaseException) -> str:
    lines: Iterable[str] = str(error).strip().splitlines() or [type(error).__name__]
    return _PSQL_PLACE.sub("", next(iter(lines)))  # where in envsim's own script: not the user's concern
