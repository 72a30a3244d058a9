"""The services' own words next to a failed verdict: their log lines from the failed checks'
windows, and container events.

The journal keeps log excerpts (secrets already redacted), each line with the time it was
written, when requests failed or a container went down; a failed check is easier to read
with what the service said while it failed beside it.
"""

from __future__ import annotations

from envsim.config.check_kinds import RecoveryCheck
from envsim.journal import Journal, LogExcerpt, check_id
from envsim.verdict.phases import Interval, load_end, resolve_phase
from envsim.verdict.result import Verdict

LINES_PER_SERVICE = 12
MARGIN = 1.0  # seconds either side of a window: log lines trail the requests they answer


def failed_windows(journal: Journal, verdict: Verdict) -> list[Interval]:
    """The load-time windows the failed checks judged (a whole-run check: the whole run)."""
    checks = {check_id(index): check for index, check in enumerate(journal.checks)}
    windows: list[Interval] = []
    for result in verdict.failed:
        check = checks.get(result.check_id)
        phase = f"after:{check.fault}" if isinstance(check, RecoveryCheck) else getattr(check, "phase", None) or "run"
        try:
            windows.extend(resolve_phase(journal, phase).intervals)
        except ValueError:  # a phase the journal cannot place: show the whole run
            windows.append(Interval(0.0, load_end(journal)))
    return windows


def _lines_in(excerpt: LogExcerpt, windows: list[Interval], limit: int) -> tuple[str, list[str]]:
    """(what the lines are, the lines): those written in the windows when the excerpt has times,
    else (or when none fall in them) its last lines."""
    if excerpt.times and windows:
        inside = [
            f"[{t:.0f}s] {line}"
            for t, line in zip(excerpt.times, excerpt.lines)
            if line.strip() and any(w.start - MARGIN <= t <= w.end + MARGIN for w in windows)
        ]
        if inside:
            spans = ", ".join(f"{w.start:.0f}s-{w.end:.0f}s" for w in windows[:3])
            return f"log lines while the failed checks measured ({spans})", inside[-limit:]
    return "last log lines", [line for line in excerpt.lines if line.strip()][-limit:]


def service_log_sections(
    journal: Journal, verdict: Verdict, limit: int = LINES_PER_SERVICE
) -> list[tuple[str, list[str]]]:
    """(heading, lines) per service with something to say; empty when the verdict passed."""
    if verdict.passed:
        return []
    windows = failed_windows(journal, verdict)
    sections: dict[str, tuple[str, list[str]]] = {}
    for event in journal.container_events:
        detail = f" ({event.detail})" if event.detail else ""
        sections.setdefault(event.service, ("container events", []))[1].append(
            f"[{event.t:.0f}s] container {event.container} {event.action}{detail}"
        )
    for excerpt in journal.logs:
        what, lines = _lines_in(excerpt, windows, limit)
        if lines:
            _, previous = sections.get(excerpt.service, ("", []))
            sections[excerpt.service] = (what, previous + lines)
    return [(f"{service}: {what}", lines) for service, (what, lines) in sections.items()]


def service_log_lines(journal: Journal, verdict: Verdict) -> list[str]:
    """The sections as plain text lines, for terminals and JUnit."""
    lines: list[str] = []
    for heading, body in service_log_sections(journal, verdict):
        lines += [heading, *(f"  {line}" for line in body)]
    return lines
