"""What a load shorter than the timeline cuts off: faults that never start or end early, and
the checks that then have no window to measure (seen: `--duration 20s` on a scenario whose
fault starts at 30s ended in "no data: fault cache-down was never applied").
"""

from __future__ import annotations

from envsim.config.check_kinds import check_label, kind_of
from envsim.config.scenario_model import Scenario
from envsim.units import format_duration


def duration_cuts(scenario: Scenario) -> list[str]:
    """One line per fault the load's length cuts off and per check left without its window."""
    length = scenario.load.run_length
    never: set[str] = set()
    unremoved: set[str] = set()
    lines: list[str] = []
    for entry in scenario.timeline:
        if entry.at >= length:
            never.add(entry.fault)
            lines.append(
                f"fault {entry.fault} (at {format_duration(entry.at)}) never starts: "
                f"the load lasts {format_duration(length)}"
            )
        elif entry.duration is not None and entry.at + entry.duration > length:
            unremoved.add(entry.fault)
            lines.append(
                f"fault {entry.fault} is cut off at {format_duration(length)}: it was to last until "
                f"{format_duration(entry.at + entry.duration)}"
            )
    for check in scenario.checks:
        why = _unmeasurable(check, never, unremoved)
        if why:
            lines.append(f"check {check_label(check)} cannot be measured: {why}")
    return lines


def _unmeasurable(check: object, never: set[str], unremoved: set[str]) -> str | None:
    kind, _, fault = kind_of(check).judged_phase(check).partition(":")
    if kind in ("during", "after") and fault in never:
        return f"fault {fault} is never applied"
    if kind == "after" and fault in unremoved:
        return f"fault {fault} is never removed before the load ends"
    return None
