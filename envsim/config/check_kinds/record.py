"""Reading a check back from its journal record: typed fields, each mistake naming the check.

A journal may come from another machine or an older envsim, so every field is checked again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envsim.config.check_kinds.kind import COMPARATORS


def field(data: Mapping[str, Any], name: str, where: str) -> Any:
    if name not in data:
        raise ValueError(f"{where}: missing field {name!r}")
    return data[name]


def comparator(data: Mapping[str, Any], where: str) -> Any:
    value = field(data, "comparator", where)
    if value not in COMPARATORS:
        raise ValueError(f"{where}: unknown comparator {value!r}")
    return value


def optional_comparator(data: Mapping[str, Any], where: str) -> Any:
    return comparator(data, where) if data.get("comparator") is not None else None


def number(value: Any, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: {name} must be a number, not {value!r}")
    return float(value)


def command(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = field(data, "command", where)
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(c, str) for c in value):
        raise ValueError(f"{where}: command must be a non-empty list of strings")
    return tuple(value)
