"""When each fault was in effect during a run, from the journal's *actual* fault events.

Shared by the verdict (phases), the reports (shaded windows) and the run (which stub calls
came in which fault's window), so one pairing rule serves them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from envsim.journal.records import FaultEvent


@dataclass(frozen=True)
class FaultWindow:
    """One occurrence of a fault: when it took effect and when it was lifted (None: never)."""

    fault: str
    applied: float
    removed: float | None


def fault_windows(faults: tuple[FaultEvent, ...]) -> tuple[FaultWindow, ...]:
    """Pair every "applied" event with the next "removed" event of the same fault."""
    windows: list[FaultWindow] = []
    open_since: dict[str, float] = {}
    for event in sorted(faults, key=lambda e: e.actual):
        if event.action == "applied" and event.fault not in open_since:
            open_since[event.fault] = event.actual
        elif event.action == "removed" and event.fault in open_since:
            windows.append(FaultWindow(event.fault, open_since.pop(event.fault), event.actual))
    windows.extend(FaultWindow(fault, applied, None) for fault, applied in open_since.items())
    return tuple(sorted(windows, key=lambda w: w.applied))
