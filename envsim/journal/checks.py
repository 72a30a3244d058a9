"""Checks (model dataclasses) <-> JSON-able dicts, so a journal carries its own criteria.

A saved journal can then be re-judged without the scenario file. Each dict has a stable id
given by the check's position ("check-1", ...) — the id probes are recorded under — a label
for reports (the user's own text when there is one, else one made from the check), the kind's
name, and the fields its kind records (envsim.config.check_kinds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from envsim.config.check_kinds import Check, check_label, kind_named, kind_of


def check_id(index: int) -> str:
    """The id of the check at 0-based `index` in the scenario's list."""
    return f"check-{index + 1}"


def default_label(check: Check) -> str:
    """The readable label of a check that has none of its own (the loader's form)."""
    return check_label(check)


def check_to_dict(check: Check, index: int) -> dict[str, Any]:
    kind = kind_of(check)
    return {
        "id": check_id(index),
        "label": check.label or default_label(check),
        "kind": kind.name,
        **kind.to_record(check),
    }


def checks_to_dicts(checks: Iterable[Check]) -> tuple[dict[str, Any], ...]:
    return tuple(check_to_dict(check, index) for index, check in enumerate(checks))


def check_from_dict(data: Mapping[str, Any], index: int = 0) -> Check:
    """The check a dict describes; ValueError (naming the check) when the dict is malformed."""
    where = f"checks[{index}]"
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
    if "kind" not in data:
        raise ValueError(f"{where}: missing field 'kind'")
    kind = kind_named(data["kind"])
    if kind is None:
        raise ValueError(f"{where}: unknown check kind {data['kind']!r}")
    check: Check = kind.from_record(data, where, str(data.get("label") or ""))
    return check


def checks_from_dicts(dicts: Iterable[Mapping[str, Any]]) -> tuple[Check, ...]:
    return tuple(check_from_dict(data, index) for index, data in enumerate(dicts))
