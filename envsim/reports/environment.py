"""The environment section of reports: what ran, and loudly, which images were stand-ins.

A run against a stand-in of another version than the profile pins tested something else
than production; a reader of the report must see that before trusting the verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from envsim.journal.stand_in_records import STAND_INS, describe_record

PINNED_SERIES = ("exact", "series")  # matches that ran the series the profile pins
ENVSIM_PYTHON = "envsim's Python"  # the journal's `python` is the interpreter envsim ran on, not the app's


def _lines(environment: Mapping[str, Any], shown: Callable[[str], bool]) -> list[str]:
    """One line per container whose stand-in's match is `shown`, sorted by container."""
    records = environment.get(STAND_INS) or {}
    if not isinstance(records, Mapping):
        return []
    return [
        f"{container}: {describe_record(record)}"
        for container, record in sorted(records.items())
        if isinstance(record, Mapping) and shown(record.get("match", ""))
    ]


def stand_in_lines(environment: Mapping[str, Any]) -> list[str]:
    """One line per container that ran an offline stand-in, sorted by container."""
    return _lines(environment, lambda match: True)


def other_version_lines(environment: Mapping[str, Any]) -> list[str]:
    """The stand-ins that ran another series than the one pinned: what the run did not test."""
    return _lines(environment, lambda match: match not in PINNED_SERIES)


def same_series_lines(environment: Mapping[str, Any]) -> list[str]:
    """The stand-ins of the pinned series at another patch level: worth a note, not an alarm."""
    return _lines(environment, lambda match: match == "series")


def inexact(environment: Mapping[str, Any]) -> bool:
    """Whether any stand-in ran another series than the one pinned (a patch level apart is not)."""
    return bool(other_version_lines(environment))


def displayed_environment(environment: Mapping[str, Any]) -> dict[str, Any]:
    """The environment for a key/value table: stand-ins as readable lines, not raw records, and
    labels that say whose version a value is."""
    shown = dict(environment)
    if STAND_INS in shown:
        shown[STAND_INS] = stand_in_lines(environment) or "none"
    if "python" in shown:
        shown[ENVSIM_PYTHON] = shown.pop("python")
    return shown
