"""The check kinds: one module each, every part of a kind in its module, and this table of them.

A new kind is a module beside these (its dataclass and a `KIND = CheckKind(...)` naming every
part, see `kind.py`), a line in `KINDS` and the `Check` union below, and its branch in
`schemas/scenario.schema.json`. tests/unit/config/test_check_kinds.py fails when a kind lacks
a part or the schema and this table disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envsim.config.check_kinds import command, file, http, metric, recovery, redis, sql, stub
from envsim.config.check_kinds.command import CommandInvariant
from envsim.config.check_kinds.file import FileCheck
from envsim.config.check_kinds.http import HttpInvariant
from envsim.config.check_kinds.kind import CheckKind
from envsim.config.check_kinds.metric import MetricCheck
from envsim.config.check_kinds.recovery import RecoveryCheck
from envsim.config.check_kinds.redis import RedisInvariant
from envsim.config.check_kinds.sql import SqlInvariant
from envsim.config.check_kinds.stub import StubInvariant

KINDS: tuple[CheckKind, ...] = (
    metric.KIND,
    recovery.KIND,
    sql.KIND,
    http.KIND,
    redis.KIND,
    command.KIND,
    stub.KIND,
    file.KIND,
)

Check = (
    MetricCheck
    | RecoveryCheck
    | SqlInvariant
    | HttpInvariant
    | RedisInvariant
    | CommandInvariant
    | StubInvariant
    | FileCheck
)


def kind_of(check: object) -> CheckKind:
    """The kind of a built check."""
    for kind in KINDS:
        if type(check) is kind.model:
            return kind
    raise TypeError(f"not a check: {check!r}")


def kind_named(name: object) -> CheckKind | None:
    """The kind a journal record names, else None."""
    return next((kind for kind in KINDS if kind.name == name), None)


def kinds_claiming(written: Mapping[str, Any]) -> tuple[CheckKind, ...]:
    """The kinds a written check may be: one when it is schema-valid."""
    return tuple(kind for kind in KINDS if kind.claims(written))


def kind_written(written: Mapping[str, Any]) -> CheckKind:
    """The kind of a check as written in a schema-valid scenario."""
    kinds = kinds_claiming(written)
    if len(kinds) != 1:
        raise ValueError(f"{len(kinds)} check kinds claim {sorted(written)}")
    return kinds[0]


def check_label(check: Check) -> str:
    """A check's one readable form, e.g. `p95 of browse < 300ms during db-slow`."""
    return kind_of(check).label(check)


__all__ = [
    "KINDS",
    "Check",
    "CheckKind",
    "CommandInvariant",
    "FileCheck",
    "HttpInvariant",
    "MetricCheck",
    "RecoveryCheck",
    "RedisInvariant",
    "SqlInvariant",
    "StubInvariant",
    "check_label",
    "kind_named",
    "kind_of",
    "kind_written",
    "kinds_claiming",
]
