"""The environment section of reports: what ran, and loudly, which images were stand-ins.

A run against a stand-in of another version than the profile pins tested something else
than production; a reader of the report must see that before trusting the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envsim.journal.stand_in_records import STAND_INS, describe_record


def stand_in_lines(environment: Mapping[str, Any]) -> list[str]:
    """One line per container that ran an offline stand-in, sorted by container."""
    records = environment.get(STAND_INS) or {}
    if not isinstance(records, Mapping):
        return []
    return [
        f"{container}: {describe_record(record)}"
        for container, record in sorted(records.items())
        if isinstance(record, Mapping)
    ]


def inexact(environment: Mapping[str, Any]) -> bool:
    """Whether any stand-in ran another version than the one pinned."""
    records = environment.get(STAND_INS) or {}
    return isinstance(records, Mapping) and any(
        isinstance(r, Mapping) and r.get("match") != "exact" for r in records.values()
    )


def displayed_environment(environment: Mapping[str, Any]) -> dict[str, Any]:
    """The environment for a key/value table: stand-ins as readable lines, not raw records."""
    shown = dict(environment)
    if STAND_INS in shown:
        shown[STAND_INS] = stand_in_lines(environment) or "none"
    return shown
