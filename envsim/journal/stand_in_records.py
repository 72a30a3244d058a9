"""The journal's record of offline stand-in images, and its one-line description.

A run stores, under its environment's `stand_ins` key, one record per container that ran a
stand-in (plan.stand_ins makes them); status, plans and reports all describe them alike.
"""

from __future__ import annotations

from collections.abc import Mapping

STAND_INS = "stand_ins"  # the journal's environment key: container name -> stand-in record

MATCH_NOTES = {
    "exact": "the pinned version",
    "series": "same series, patch level not pinned",
    "nearest": "nearest: NOT the pinned version",
}


def describe_record(record: Mapping[str, str]) -> str:
    """One line for a stand_in_of_image() / StandIn.to_dict() record (status, reports)."""
    note = MATCH_NOTES.get(record.get("match", ""), record.get("match", ""))
    return f"{record.get('stand_in', '?')} in place of {record.get('requested') or '?'} ({note})"
