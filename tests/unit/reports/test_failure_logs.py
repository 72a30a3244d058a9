"""The service logs beside a failed check belong to that failure: lines of the check's window
only, each replica's lines labelled, MockServer's own housekeeping left out."""

from __future__ import annotations

import dataclasses
import io

from report_journals import sample_journal

from envsim.config.check_kinds import MetricCheck
from envsim.journal import Journal, LogExcerpt
from envsim.reports.markdown import render_markdown
from envsim.reports.terminal import print_verdict
from envsim.verdict import judge

SLOW_DURING_DB_SLOW = MetricCheck("p95", "below", 0.001, phase="during:db-slow")  # db-slow: 30s to 60s


def _terminal(journal: Journal) -> str:
    verdict = judge(journal)
    assert not verdict.passed
    out = io.StringIO()
    print_verdict(verdict, out, rich=False, journal=journal)
    return out.getvalue()


def _failing(*logs: LogExcerpt, check: MetricCheck = SLOW_DURING_DB_SLOW, **extra) -> Journal:
    return dataclasses.replace(sample_journal(), checks=(check,), logs=logs, container_events=(), **extra)


def test_the_excerpt_holds_the_lines_of_the_failed_checks_window_not_the_burst_after_it():
    during = [(35.0, "slow query: 2.1s"), (48.0, "pool exhausted"), (58.0, "slow query: 3.0s")]
    after = [(60.1 + i / 10, f"reconnected pool slot {i}") for i in range(8)]
    lines = [line for _, line in during + after]
    text = _terminal(_failing(LogExcerpt("api", 180.0, tuple(lines), tuple(t for t, _ in during + after))))
    assert "[35s] slow query: 2.1s" in text and "[48s] pool exhausted" in text and "[58s] slow query: 3.0s" in text
    assert "reconnected pool slot" not in text


def test_the_excerpt_falls_back_to_lines_just_after_the_window_when_none_were_written_in_it():
    text = _terminal(_failing(LogExcerpt("api", 180.0, ("booting", "late answer"), (1.0, 60.5))))
    assert "[60s] late answer" in text and "booting" not in text


def test_a_long_window_shows_how_the_failure_began_and_how_it_ended():
    times = tuple(31.0 + i for i in range(20))
    text = _terminal(_failing(LogExcerpt("api", 180.0, tuple(f"error {i}" for i in range(20)), times)))
    shown = [f"error {i}" for i in (*range(6), *range(14, 20))]
    assert all(f"] {line}\n" in text for line in shown) and "error 6\n" not in text and "error 13\n" not in text
    assert "... 8 more lines ..." in text


def test_each_line_says_which_replica_wrote_it_in_the_order_they_were_written():
    first = LogExcerpt("api", 180.0, ("timeout talking to db", "retrying"), (40.0, 50.0), replica=0)
    second = LogExcerpt("api", 180.0, ("timeout talking to db",), (45.0,), replica=1)
    text = _terminal(_failing(first, second))
    expected = "  [40s] api-0: timeout talking to db\n    [45s] api-1: timeout talking to db\n    [50s] api-0: retrying"
    assert expected in text


def test_a_single_replica_is_not_labelled_and_an_old_journal_without_replicas_still_reads():
    text = _terminal(_failing(LogExcerpt("api", 180.0, ("timeout talking to db",), (40.0,))))
    assert "[40s] timeout talking to db" in text and "api-" not in text.split("what the services said")[1]
    restored = Journal.from_json(_failing(LogExcerpt("api", 180.0, ("x",), (40.0,), replica=2)).to_json())
    assert restored.logs[0].replica == 2


STUB_LOG = (
    (31.0, "2026-01-01 12:00:31 7.6.0 INFO clearing logs that match:"),
    (31.0, ""),
    (31.0, "  {}"),
    (40.0, "2026-01-01 12:00:40 7.6.0 INFO received request:"),
    (40.0, "  {"),
    (40.0, '    "path" : "/v1/charges"'),
    (40.0, "  }"),
    (44.0, "2026-01-01 12:00:44 7.6.0 INFO resetting all expectations and request logs"),
    (45.0, "2026-01-01 12:00:45 7.6.0 INFO creating expectation:"),
    (45.0, '    "httpRequest" : { "path" : "/v1/refunds" }'),
    (50.0, "2026-01-01 12:00:50 7.6.0 INFO retrieving requests in json that match:"),
    (50.0, "  { }"),
    # a fault restarted the stub: MockServer's start-up notices, as the 7.6.0 image writes them
    (52.0, "2026-01-01 12:00:52 7.6.0 INFO using environment variables:"),
    (52.0, "  ["),
    (52.0, "  \tMOCKSERVER_LOG_LEVEL=WARN"),
    (52.0, "  ]"),
    (52.0, " and command line options:"),
    (53.0, "2026-01-01 12:00:53 7.6.0 WARNING MockServer is signing TLS traffic with the bundled default CA"),
    (54.0, "2026-01-01 12:00:54 7.6.0 WARNING logger level is WARN, change using:"),
    (54.0, " - '-logLevel' command line argument,"),
    (55.0, "2026-01-01 12:00:55 7.6.0 WARNING no expectation for: POST /v1/refunds"),
)


def test_mockserver_housekeeping_is_never_shown_as_the_stubs_words():
    excerpt = LogExcerpt("payments", 180.0, tuple(line for _, line in STUB_LOG), tuple(t for t, _ in STUB_LOG))
    journal = _failing(excerpt)
    text = _terminal(journal)
    assert "received request:" in text and '"path" : "/v1/charges"' in text
    assert "no expectation for: POST /v1/refunds" in text
    housekeeping_words = ("clearing", "resetting", "creating expectation", '"/v1/refunds"', "retrieving", "{}", "{ }")
    startup_words = ("environment variables", "MOCKSERVER_LOG_LEVEL", "command line", "signing TLS", "logLevel")
    for housekeeping in housekeeping_words + startup_words:
        assert housekeeping not in text.split("what the services said")[1], housekeeping
    markdown = render_markdown(journal, judge(journal))
    assert "received request:" in markdown and "clearing logs" not in markdown
