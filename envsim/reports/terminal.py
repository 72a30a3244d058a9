"""The checks table and verdict line for a terminal: rich colours on a TTY, plain text otherwise.

Shared by `envsim verdict` and `envsim run`, so both print a verdict the same way.
"""

from __future__ import annotations

import sys
from typing import TextIO

from envsim.journal import Journal
from envsim.reports.failure_text import detail_with_failures, generator_line, phase_lines, result_status
from envsim.reports.service_logs import service_log_lines
from envsim.reports.slow_cause import slow_cause_lines
from envsim.reports.stub_text import stub_count_lines
from envsim.verdict.formatting import format_bound, format_value
from envsim.verdict.result import Verdict

HEADERS = ("result", "check", "measured", "bound", "detail")


def verdict_rows(verdict: Verdict) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            result_status(r),
            f"{r.check_id} {r.label}",
            format_value(r.measured, r.unit),
            format_bound(r),
            detail_with_failures(r),
        )
        for r in verdict.results
    ]


def render_plain(verdict: Verdict, journal: Journal | None = None) -> str:
    """Aligned columns, no colour or box characters: safe for CI logs and pipes."""
    rows = [HEADERS, *verdict_rows(verdict)]
    # the last column (detail) is not padded, so long reasons do not widen every line
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip() for row in rows]
    extra = _failure_context(verdict, journal)
    return "\n".join([*lines, *extra, "", verdict.summary_line()]) + "\n"


def _failure_context(verdict: Verdict, journal: Journal | None) -> list[str]:
    """Where the load generator ran, why requests failed or were slow, what the stubs answered,
    what the services said."""
    generator = generator_line(verdict)
    slow = slow_cause_lines(journal, verdict) if journal is not None else []
    return [
        *(["", generator] if generator else []),
        *_why_failed(verdict),
        *slow,
        *_stub_answers(verdict, journal),
        *_service_logs(verdict, journal),
    ]


def _stub_answers(verdict: Verdict, journal: Journal | None) -> list[str]:
    lines = stub_count_lines(journal, verdict) if journal is not None else []
    return ["", "what the stubs answered:", *(f"  {line}" for line in lines)] if lines else []


def _service_logs(verdict: Verdict, journal: Journal | None) -> list[str]:
    lines = service_log_lines(journal, verdict) if journal is not None else []
    return ["", "what the services said (secrets redacted):", *(f"  {line}" for line in lines)] if lines else []


def _why_failed(verdict: Verdict) -> list[str]:
    lines = phase_lines(verdict)
    return ["", "why requests failed:", *(f"  {line}" for line in lines)] if lines else []


def print_verdict(
    verdict: Verdict, stream: TextIO | None = None, rich: bool | None = None, journal: Journal | None = None
) -> None:
    """The checks table, why requests failed, and (given the journal) what the services said."""
    out = stream or sys.stdout
    if rich is None:
        rich = out.isatty()
    if not rich:
        out.write(render_plain(verdict, journal))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for result, (status, check, measured, bound, detail) in zip(verdict.results, verdict_rows(verdict)):
        colour = _colour(result.passed, bool(result.inconclusive))
        table.add_row(f"[{colour}]{status}[/{colour}]", escape(check), escape(measured), escape(bound), escape(detail))
    console = Console(file=out, highlight=False)
    console.print(table)
    for line in _failure_context(verdict, journal):
        console.print(escape(line))
    colour = _colour(verdict.passed, bool(verdict.inconclusive))
    console.print(f"[bold {colour}]{escape(verdict.summary_line())}[/bold {colour}]")


def _colour(passed: bool, inconclusive: bool) -> str:
    return "green" if passed else "yellow" if inconclusive else "red"
