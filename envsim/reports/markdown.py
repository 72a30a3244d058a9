"""A Markdown summary for CI job summaries (e.g. $GITHUB_STEP_SUMMARY): the verdict and a table."""

from __future__ import annotations

from envsim.journal import Journal
from envsim.reports.environment import inexact, other_version_lines
from envsim.reports.failure_text import detail_with_failures, generator_line, phase_lines
from envsim.reports.service_logs import service_log_sections
from envsim.reports.slow_cause import slow_cause_sections
from envsim.reports.stub_text import rotation_lines, stub_tables, window_lines
from envsim.verdict.formatting import format_bound, format_value
from envsim.verdict.result import Verdict

FENCE = "`" * 3


def _cell(text: str) -> str:
    # A pipe or a newline would end the table cell early; HTML-special characters would render.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " ")


def _stub_sections(journal: Journal) -> list[str]:
    """A table of each stub's calls by route, window and status, and each window's effect."""
    lines: list[str] = []
    for service, rows in stub_tables(journal).items():
        lines += [
            "",
            f"### Calls to stub {_cell(service)}",
            "",
            "| Route | During | Status | Calls | |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {_cell(r.route)} | {_cell(r.during)} | {r.status} | {r.count} | {'⚠️ ' + _cell(r.note) if r.note else ''} |"
            for r in rows
        ]
        effects = window_lines(rows)
        if effects:
            lines += ["", *(f"- {_cell(line)}" for line in effects)]
    return lines


def _mark(passed: bool, inconclusive: bool) -> str:
    return "✅" if passed else "⚠️" if inconclusive else "❌"


def render_markdown(journal: Journal, verdict: Verdict) -> str:
    mark = _mark(verdict.passed, bool(verdict.inconclusive))
    passed = sum(1 for r in verdict.results if r.passed)
    lines = [
        f"## {mark} envsim {_cell(journal.scenario)}: {verdict.word}",
        "",
        f"**{passed}/{len(verdict.results)} checks passed** · run `{_cell(journal.run_id)}` · "
        f"profile `{_cell(journal.profile)}` · {journal.duration:.0f}s of load · started {_cell(journal.started_at)}",
        "",
    ]
    lines += [f"> {_cell(note)}" for note in verdict.notes]
    if verdict.notes:
        lines.append("")
    if verdict.generator:
        lines += [f"> {_cell(generator_line(verdict))}", ""]
    if inexact(journal.environment):  # the run tested other versions than production's: say so first
        lines += [
            "> ⚠️ **Offline stand-ins of other versions than the profile pins ran in this stack:**",
            *(f"> - {_cell(line)}" for line in other_version_lines(journal.environment)),
            "",
        ]
    lines += ["| | Check | Measured | Bound | Detail |", "|---|---|---|---|---|"]
    for r in verdict.results:
        lines.append(
            f"| {_mark(r.passed, bool(r.inconclusive))} | {_cell(r.label)} | {_cell(format_value(r.measured, r.unit))} | "
            f"{_cell(format_bound(r))} | {_cell(detail_with_failures(r))} |"
        )
    why = phase_lines(verdict)
    if why:
        lines += ["", "### Why requests failed", "", *(f"- {_cell(line)}" for line in why)]
    for heading, body in [*slow_cause_sections(journal, verdict), *service_log_sections(journal, verdict)]:
        # a fenced block shows log lines as they are; a fence inside them must not close it early
        lines += [
            "",
            f"### {_cell(heading)}",
            "",
            FENCE + "text",
            *(line.replace(FENCE, "` ` `") for line in body),
            FENCE,
        ]
    lines += _stub_sections(journal)
    rotations = rotation_lines(journal)
    if rotations:
        lines += ["", "### Credential rotations", "", *(f"- {_cell(line)}" for line in rotations)]
    lines += ["", verdict.summary_line(), ""]
    return "\n".join(lines)
