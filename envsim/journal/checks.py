"""Checks (model dataclasses) <-> JSON-able dicts, so a journal carries its own criteria.

A saved journal can then be re-judged without the scenario file. Each dict has a stable id
given by the check's position ("check-1", ...) — the id probes are recorded under — and a
label for reports (the user's own text when there is one, else one made from the check).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from envsim.config.check_text import COMPARATORS, METRICS, check_label
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

def check_id(index: int) -> str:
    """The id of the check at 0-based `index` in the scenario's list."""
    return f"check-{index + 1}"


def default_label(check: Check) -> str:
    """The readable label of a check that has none of its own (the loader's form)."""
    return check_label(check)


def check_to_dict(check: Check, index: int) -> dict[str, Any]:
    base = {"id": check_id(index), "label": check.label or default_label(check)}
    if isinstance(check, MetricCheck):
        return {
            **base,
            "kind": "metric",
            "metric": check.metric,
            "comparator": check.comparator,
            "bound": check.bound,
            "endpoint": check.endpoint,
            "phase": check.phase,
        }
    if isinstance(check, RecoveryCheck):
        return {**base, "kind": "recovery", "fault": check.fault, "bound": check.bound, "comparator": check.comparator}
    if isinstance(check, SqlInvariant):
        return {
            **base,
            "kind": "sql",
            "service": check.service,
            "query": check.query,
            "comparator": check.comparator,
            "expected": check.expected,
            "expected_count_of": list(check.expected_count_of) if check.expected_count_of else None,
            "tolerance": check.tolerance,
        }
    if isinstance(check, HttpInvariant):
        return {
            **base,
            "kind": "http",
            "service": check.service,
            "method": check.method,
            "path": check.path,
            "port": check.port,
            "expect_status": check.expect_status,
            "expect": check.expect,
        }
    if isinstance(check, RedisInvariant):
        return {**base, "kind": "redis", "service": check.service, "command": list(check.command),
                "comparator": check.comparator, **_expected_fields(check)}
    if isinstance(check, CommandInvariant):
        return {**base, "kind": "exec", "service": check.service, "command": list(check.command),
                "exit_code": check.exit_code, "comparator": check.comparator, **_expected_fields(check)}
    if isinstance(check, StubInvariant):
        return {**base, "kind": "stub", "service": check.service, "method": check.method, "path": check.path,
                "statuses": list(check.statuses), "comparator": check.comparator, **_expected_fields(check),
                "header": check.header, "backoff_after": list(check.backoff_after),
                "backoff_at_least": check.backoff_at_least, "backoff_key": check.backoff_key}
    raise TypeError(f"not a check: {check!r}")


def _expected_fields(check: RedisInvariant | CommandInvariant | StubInvariant) -> dict[str, Any]:
    return {
        "expected": check.expected,
        "expected_count_of": list(check.expected_count_of) if check.expected_count_of else None,
        "tolerance": check.tolerance,
    }


def _expected_from(data: Mapping[str, Any], where: str, required: bool = True) -> dict[str, Any]:
    count_of = data.get("expected_count_of")
    expected = data.get("expected")
    if required and count_of is None and expected is None:
        raise ValueError(f"{where}: check needs expected or expected_count_of")
    if count_of is not None and (
        not isinstance(count_of, (list, tuple)) or len(count_of) != 2 or count_of[0] not in ("successes", "failures")
    ):
        raise ValueError(f"{where}: expected_count_of must be [successes|failures, endpoint]")
    return {
        "expected": None if expected is None else _number(expected, where, "expected"),
        "expected_count_of": None if count_of is None else (str(count_of[0]), str(count_of[1])),
        "tolerance": _number(data.get("tolerance", 0.0), where, "tolerance"),
    }


def _command(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    command = _field(data, "command", where)
    if not isinstance(command, (list, tuple)) or not command or not all(isinstance(c, str) for c in command):
        raise ValueError(f"{where}: command must be a non-empty list of strings")
    return tuple(command)


def checks_to_dicts(checks: Iterable[Check]) -> tuple[dict[str, Any], ...]:
    return tuple(check_to_dict(check, index) for index, check in enumerate(checks))


def _field(data: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in data:
        raise ValueError(f"{where}: missing field {name!r}")
    return data[name]


def _comparator(data: Mapping[str, Any], where: str) -> str:
    comparator = _field(data, "comparator", where)
    if comparator not in COMPARATORS:
        raise ValueError(f"{where}: unknown comparator {comparator!r}")
    return comparator


def _number(value: Any, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {name} must be a number, not {value!r}")
    return float(value)


def _metric(data: Mapping[str, Any], where: str, label: str) -> Check:
    metric = _field(data, "metric", where)
    if metric not in METRICS:
        raise ValueError(f"{where}: unknown metric {metric!r}")
    return MetricCheck(
        metric=metric,
        comparator=_comparator(data, where),  # type: ignore[arg-type]
        bound=_number(_field(data, "bound", where), where, "bound"),
        endpoint=data.get("endpoint") or None,
        phase=str(data.get("phase") or "run"),
        label=label,
    )


def _recovery(data: Mapping[str, Any], where: str, label: str) -> Check:
    return RecoveryCheck(
        fault=str(_field(data, "fault", where)),
        bound=_number(_field(data, "bound", where), where, "bound"),
        label=label,
        # journals written before recovery checks carried a comparator meant "below"
        comparator=_comparator(data, where) if "comparator" in data else "below",  # type: ignore[arg-type]
    )


def _sql(data: Mapping[str, Any], where: str, label: str) -> Check:
    return SqlInvariant(
        service=str(_field(data, "service", where)),
        query=str(_field(data, "query", where)),
        comparator=_comparator(data, where),  # type: ignore[arg-type]
        label=label,
        **_expected_from(data, where),
    )


def _http(data: Mapping[str, Any], where: str, label: str) -> Check:
    return HttpInvariant(
        service=str(_field(data, "service", where)),
        method=str(_field(data, "method", where)),
        path=str(_field(data, "path", where)),
        port=data.get("port"),
        expect_status=int(_number(data.get("expect_status", 200), where, "expect_status")),
        label=label,
        expect=str(data["expect"]) if data.get("expect") else None,
    )


def _redis(data: Mapping[str, Any], where: str, label: str) -> Check:
    return RedisInvariant(
        service=str(_field(data, "service", where)),
        command=_command(data, where),
        comparator=_comparator(data, where),  # type: ignore[arg-type]
        label=label,
        **_expected_from(data, where),
    )


def _exec(data: Mapping[str, Any], where: str, label: str) -> Check:
    exit_code = data.get("exit_code")
    comparator = _comparator(data, where) if data.get("comparator") is not None else None
    return CommandInvariant(
        service=str(_field(data, "service", where)),
        command=_command(data, where),
        exit_code=None if exit_code is None else int(_number(exit_code, where, "exit_code")),
        comparator=comparator,  # type: ignore[arg-type]
        label=label,
        **_expected_from(data, where, required=comparator is not None),
    )


def _stub(data: Mapping[str, Any], where: str, label: str) -> Check:
    comparator = _comparator(data, where) if data.get("comparator") is not None else None
    statuses = data.get("statuses") or ()
    after = data.get("backoff_after") or ()
    if not isinstance(statuses, (list, tuple)) or not isinstance(after, (list, tuple)):
        raise ValueError(f"{where}: statuses and backoff_after must be lists of statuses")
    return StubInvariant(
        service=str(_field(data, "service", where)),
        method=str(data["method"]) if data.get("method") else None,
        path=str(data["path"]) if data.get("path") else None,
        statuses=tuple(int(_number(x, where, "statuses")) for x in statuses),
        comparator=comparator,  # type: ignore[arg-type]
        header=str(data["header"]) if data.get("header") else None,
        backoff_after=tuple(int(_number(x, where, "backoff_after")) for x in after),
        backoff_at_least=_number(data.get("backoff_at_least", 0.0), where, "backoff_at_least"),
        backoff_key=str(data.get("backoff_key") or "body"),
        label=label,
        **_expected_from(data, where, required=comparator is not None),
    )


_READERS = {"metric": _metric, "recovery": _recovery, "sql": _sql, "http": _http, "redis": _redis,
            "exec": _exec, "stub": _stub}


def check_from_dict(data: Mapping[str, Any], index: int = 0) -> Check:
    """The check a dict describes; ValueError (naming the check) when the dict is malformed."""
    where = f"checks[{index}]"
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
    kind = _field(data, "kind", where)
    reader = _READERS.get(kind) if isinstance(kind, str) else None
    if reader is None:
        raise ValueError(f"{where}: unknown check kind {kind!r}")
    return reader(data, where, str(data.get("label") or ""))


def checks_from_dicts(dicts: Iterable[Mapping[str, Any]]) -> tuple[Check, ...]:
    return tuple(check_from_dict(data, index) for index, data in enumerate(dicts))
