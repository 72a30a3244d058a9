"""The services' own words next to a failed verdict: their last log lines and container events.

The journal keeps log excerpts (secrets already redacted) when requests failed or a container
went down; a failed check is easier to read with the service's error beside it.
"""

from __future__ import annotations

from envsim.journal import Journal
from envsim.verdict.result import Verdict

LINES_PER_SERVICE = 12


def service_log_sections(journal: Journal, verdict: Verdict, limit: int = LINES_PER_SERVICE) -> list[tuple[str, list[str]]]:
    """(heading, lines) per service with something to say; empty when the verdict passed."""
    if verdict.passed:
        return []
    sections: dict[str, list[str]] = {}
    for event in journal.container_events:
        detail = f" ({event.detail})" if event.detail else ""
        sections.setdefault(event.service, []).append(f"[{event.t:.0f}s] container {event.container} {event.action}{detail}")
    for excerpt in journal.logs:
        lines = [line for line in excerpt.lines if line.strip()][-limit:]
        if lines:
            sections.setdefault(excerpt.service, []).extend(lines)
    return [(f"{service}: last log lines", lines) for service, lines in sections.items()]


def service_log_lines(journal: Journal, verdict: Verdict) -> list[str]:
    """The sections as plain text lines, for terminals and JUnit."""
    lines: list[str] = []
    for heading, body in service_log_sections(journal, verdict):
        lines += [heading, *(f"  {line}" for line in body)]
    return lines
