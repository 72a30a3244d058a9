"""The services' own words next to a failed verdict: their log lines from the failed checks'
windows, and container events.

The journal keeps log excerpts (secrets already redacted), each line with the time it was
written, when requests failed or a container went down; a failed check is easier to read
with what the service said while it failed beside it.
"""

from __future__ import annotations

from envsim.config.check_kinds import kind_of
from envsim.journal import Journal, LogExcerpt, check_id
from envsim.reports.stub_housekeeping import housekeeping_mask
from envsim.verdict.phases import Interval, load_end, resolve_phase
from envsim.verdict.result import Verdict

LINES_PER_SERVICE = 12
LAST_LINES = "last log lines"
# a log line and when it was written (None: the excerpt has no times)
Timed = tuple[float | None, str]
MARGIN = 1.0  # seconds either side of a window: log lines trail the requests they answer


def failed_windows(journal: Journal, verdict: Verdict) -> list[Interval]:
    """The load-time windows the failed checks judged (a whole-run check: the whole run)."""
    checks = {check_id(index): check for index, check in enumerate(journal.checks)}
    windows: list[Interval] = []
    for result in verdict.failed:
        check = checks.get(result.check_id)
        phase = kind_of(check).judged_phase(check) if check is not None else "run"
        try:
            windows.extend(resolve_phase(journal, phase).intervals)
        except ValueError:  # a phase the journal cannot place: show the whole run
            windows.append(Interval(0.0, load_end(journal)))
    return windows


def _spoken(excerpt: LogExcerpt) -> list[Timed]:
    """(time or None, line) of what the service itself wrote: no blank lines, and none of
    MockServer's entries about envsim loading, clearing or reading back its stubs."""
    times: list[float | None] = list(excerpt.times) if len(excerpt.times) == len(excerpt.lines) else []
    hidden = housekeeping_mask(excerpt.lines)
    return [
        (times[i] if times else None, line) for i, line in enumerate(excerpt.lines) if line.strip() and not hidden[i]
    ]


def _in_windows(spoken: list[Timed], windows: list[Interval]) -> list[Timed]:
    """The lines written inside the windows; when none were, those within MARGIN of them
    (a line trails the request it answers). Lines outside would be read as the failure's."""
    for margin in (0.0, MARGIN):
        inside: list[Timed] = [
            (t, line)
            for t, line in spoken
            if t is not None and any(w.start - margin <= t <= w.end + margin for w in windows)
        ]
        if inside:
            return inside
    return []


def _labelled(timed: list[Timed], label: str) -> list[Timed]:
    who = f"{label}: " if label else ""
    return [(t, f"[{t:.0f}s] {who}{line}" if t is not None else f"{who}{line}") for t, line in timed]


def _lines_in(excerpt: LogExcerpt, windows: list[Interval], label: str) -> tuple[str, list[Timed]]:
    """(what the lines are, the lines): those written in the windows when the excerpt has times,
    else (or when none fall in them) its last lines; each labelled with its replica (`label`)."""
    spoken = _spoken(excerpt)
    inside = _in_windows(spoken, windows) if windows else []
    if inside:
        spans = ", ".join(f"{w.start:.0f}s-{w.end:.0f}s" for w in windows[:3])
        return f"log lines while the failed checks measured ({spans})", _labelled(inside, label)
    return LAST_LINES, _labelled([(None, line) for _, line in spoken], label)


def _ends(lines: list[str], limit: int) -> list[str]:
    """At most `limit` lines: the first and the last of them, with how many were left out
    between (the onset of a failure and how it ended both tell)."""
    if len(lines) <= limit:
        return lines
    head = limit // 2
    tail = limit - head
    return [*lines[:head], f"... {len(lines) - limit} more lines ...", *lines[-tail:]]


def _replica_labels(journal: Journal) -> dict[int, str]:
    """Excerpt index -> "api-1" for services that ran several replicas, "" otherwise."""
    per_service: dict[str, int] = {}
    for excerpt in journal.logs:
        per_service[excerpt.service] = per_service.get(excerpt.service, 0) + 1
    return {
        index: f"{excerpt.service}-{excerpt.replica}"
        if per_service[excerpt.service] > 1 and excerpt.replica is not None
        else ""
        for index, excerpt in enumerate(journal.logs)
    }


def _said(journal: Journal, windows: list[Interval]) -> dict[str, tuple[str, list[str]]]:
    """service -> (what the lines are, its replicas' lines in the order they were written);
    a replica that said nothing in the windows is left out when another one did."""
    found: dict[str, list[tuple[str, list[Timed]]]] = {}
    labels = _replica_labels(journal)
    for index, excerpt in enumerate(journal.logs):
        what, lines = _lines_in(excerpt, windows, labels[index])
        if lines:
            found.setdefault(excerpt.service, []).append((what, lines))
    said: dict[str, tuple[str, list[str]]] = {}
    for service, parts in found.items():
        windowed = [part for part in parts if part[0] != LAST_LINES]
        chosen = windowed or parts
        timed = [item for _, lines in chosen for item in lines]
        ordered = sorted(timed, key=lambda item: item[0] if item[0] is not None else 0.0)
        said[service] = (chosen[0][0], [line for _, line in ordered])
    return said


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
    for service, (what, lines) in _said(journal, windows).items():
        _, events = sections.get(service, ("", []))
        sections[service] = (what, events + _ends(lines, limit))
    return [(f"{service}: {what}", lines) for service, (what, lines) in sections.items()]


def service_log_lines(journal: Journal, verdict: Verdict) -> list[str]:
    """The sections as plain text lines, for terminals and JUnit."""
    lines: list[str] = []
    for heading, body in service_log_sections(journal, verdict):
        lines += [heading, *(f"  {line}" for line in body)]
    return lines
