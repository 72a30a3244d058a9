"""A failed verdict shows what the services said — log lines and container events — in every
report; a passing one does not."""

from __future__ import annotations

import dataclasses
import io

from report_journals import sample_journal

from envsim.journal import ContainerEvent, LogExcerpt
from envsim.reports.html_report import render_html
from envsim.reports.junit import render_junit
from envsim.reports.markdown import render_markdown
from envsim.reports.terminal import print_verdict
from envsim.verdict import judge

LOG = "psycopg.OperationalError: connection timeout expired <b>db</b>"


def _journal():
    return dataclasses.replace(
        sample_journal(),
        logs=(LogExcerpt("api", 180.0, ("started", "", LOG)),),
        container_events=(ContainerEvent(95.0, "cache", "envsim-x-cache-0", "exited", "exit code 137"),),
    )


def test_a_failed_verdict_shows_the_log_lines_and_events_in_every_report():
    journal = _journal()
    verdict = judge(journal)
    assert not verdict.passed
    out = io.StringIO()
    print_verdict(verdict, out, rich=False, journal=journal)
    terminal = out.getvalue()
    assert "what the services said (secrets redacted):" in terminal
    assert f"    {LOG}" in terminal and "[95s] container envsim-x-cache-0 exited (exit code 137)" in terminal
    assert terminal.index(LOG) < terminal.index("verdict: FAILED")
    assert f"### api: last log lines\n\n```text\nstarted\n{LOG}\n```" in render_markdown(journal, verdict)
    assert "what the services said:" in render_junit(journal, verdict) and "connection timeout expired" in render_junit(
        journal, verdict
    )
    html = render_html(journal, verdict)
    assert (
        '<pre class="logs">started\npsycopg.OperationalError: connection timeout expired &lt;b&gt;db&lt;/b&gt;</pre>'
        in html
    )


def test_a_passing_verdict_has_no_log_section():
    journal = dataclasses.replace(_journal(), checks=())
    verdict = judge(journal)
    out = io.StringIO()
    print_verdict(verdict, out, rich=False, journal=journal)
    assert LOG not in out.getvalue() and LOG not in render_markdown(journal, verdict)


def test_lines_with_times_are_those_of_the_failed_checks_window():
    from envsim.config.check_kinds import MetricCheck

    journal = dataclasses.replace(
        sample_journal(),
        checks=(MetricCheck("p95", "below", 0.001, phase="during:db-slow"),),  # db-slow: 30s to 60s
        logs=(LogExcerpt("api", 180.0, ("booting", "slow query: 2.1s", "idle"), (5.0, 41.5, 150.0)),),
        container_events=(),
    )
    verdict = judge(journal)
    out = io.StringIO()
    print_verdict(verdict, out, rich=False, journal=journal)
    text = out.getvalue()
    assert "api: log lines while the failed checks measured (30s-60s)" in text
    assert "[42s] slow query: 2.1s" in text and "booting" not in text and "idle" not in text
