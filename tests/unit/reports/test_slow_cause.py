"""A failed latency check names why it was slow in every report: the endpoints of its window
(count, p50, p95, slowest first) and the databases' slowest statements with the plan of the
slowest; other failed checks and passing ones do not get it."""

from __future__ import annotations

import io

from envsim.config.check_kinds import MetricCheck
from envsim.journal import ALL_ENDPOINTS, FaultEvent, Journal, StatsPoint
from envsim.reports.html_report import render_html
from envsim.reports.junit import render_junit
from envsim.reports.markdown import render_markdown
from envsim.reports.slow_cause import endpoint_rows, slow_cause_sections
from envsim.reports.terminal import print_verdict
from envsim.verdict import judge
from envsim.verdict.phases import Interval

SLOW_QUERY = "SELECT id, email, name FROM customers WHERE lower(email) = lower($1)"
EVIDENCE = {
    "service": "db",
    "source": "pg_stat_statements",
    "statements": [
        {"query": SLOW_QUERY, "calls": 685, "mean_ms": 412.25, "max_ms": 880.5},
        {"query": "SELECT $1", "calls": 12, "mean_ms": 0.02, "max_ms": 0.1},
    ],
    "plan": [
        "Seq Scan on customers  (cost=0.00..11567.00 rows=2500 width=45)",
        "  Filter: (lower(email) = lower($1))",
    ],
    "plan_note": "EXPLAIN of the generic plan, not run",
}


def _point(t: int, endpoint: str, millis: int, requests: int) -> StatsPoint:
    return StatsPoint(t, endpoint, requests, 0, ((millis, requests),))


def _journal(checks, extra=None, faults=()) -> Journal:
    series = []
    for t in range(10):
        lookup_ms = 900 if t >= 5 else 40  # the lookup is slow in the second half only
        series += [_point(t, "GET /customers", lookup_ms, 10), _point(t, "GET /health", 3, 20)]
        series.append(StatsPoint(t, ALL_ENDPOINTS, 30, 0, tuple(sorted({(3, 20), (lookup_ms, 10)}))))
    return Journal(
        run_id="r",
        started_at="2026-01-01T12:00:00Z",
        ended_at="2026-01-01T12:00:10Z",
        duration=10.0,
        profile="p",
        scenario="s",
        profile_digest="",
        scenario_digest="",
        environment={},
        planned_timeline=(),
        checks=tuple(checks),
        series=tuple(series),
        faults=tuple(faults),
        extra={"slow_statements": [EVIDENCE], **(extra or {})},
    )


def test_endpoint_rows_are_those_of_the_window_slowest_first():
    journal = _journal([])
    whole = endpoint_rows(journal, [Interval(0.0, 10.0)])
    assert [(r.endpoint, r.requests, r.p50, r.p95) for r in whole] == [
        ("GET /customers", 100, 0.04, 0.9),
        ("GET /health", 200, 0.003, 0.003),
    ]
    first_half = endpoint_rows(journal, [Interval(0.0, 5.0)])
    assert [(r.endpoint, r.requests, r.p95) for r in first_half] == [
        ("GET /customers", 50, 0.04),
        ("GET /health", 100, 0.003),
    ]


def test_a_failed_p95_shows_endpoints_statements_and_plan_in_the_terminal():
    journal = _journal([MetricCheck("p95", "below", 0.15)])
    verdict = judge(journal)
    out = io.StringIO()
    print_verdict(verdict, out, rich=False, journal=journal)
    text = out.getvalue()
    assert "why p95 < 150ms was slow:" in text
    assert "endpoints in its window (0s-10s), slowest first:" in text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("p95") and "endpoint" in line)
    assert lines[header + 1].split() == ["900ms", "40ms", "100", "GET", "/customers"]
    assert lines[header + 2].split() == ["3ms", "3ms", "200", "GET", "/health"]
    assert "db: slowest statements while the load ran (pg_stat_statements):" in text
    assert f"412.2ms  880.5ms  685    {SLOW_QUERY}" in text
    assert "Seq Scan on customers" in text and "Filter: (lower(email) = lower($1))" in text
    assert text.index("Seq Scan on customers") < text.index("verdict: FAILED")


def test_the_window_is_the_checks_phase():
    faults = (FaultEvent("db-slow", "applied", 5.0, 5.0), FaultEvent("db-slow", "removed", 10.0, 10.0))
    journal = _journal([MetricCheck("p95", "below", 0.15, phase="during:db-slow")], faults=faults)
    (heading, lines), *_ = slow_cause_sections(journal, judge(journal))
    assert heading == "why p95 < 150ms during db-slow was slow"
    assert lines[0] == "endpoints in its window (5s-10s), slowest first:"
    assert lines[2].split()[:3] == ["900ms", "900ms", "50"]
    assert "databases, over the whole load (not only this window):" in lines


def test_markdown_html_and_junit_carry_it_too():
    journal = _journal([MetricCheck("p95", "below", 0.15), MetricCheck("error_rate", "below", 0.5)])
    verdict = judge(journal)
    markdown = render_markdown(journal, verdict)
    assert "### why p95 &lt; 150ms was slow" in markdown and "Seq Scan on customers" in markdown
    html = render_html(journal, verdict)
    assert '<pre class="slow-cause">' in html and "Filter: (lower(email) = lower($1))" in html
    junit = render_junit(journal, verdict)
    assert "Seq Scan on customers" in junit and "900ms" in junit


def test_only_a_failed_latency_check_gets_it():
    passing = _journal([MetricCheck("p95", "below", 2.0)])
    assert slow_cause_sections(passing, judge(passing)) == []
    errors = _journal([MetricCheck("error_rate", "above", 0.5)])
    verdict = judge(errors)
    assert not verdict.passed and slow_cause_sections(errors, verdict) == []


def test_a_database_without_statements_says_why():
    missing = {"service": "db", "problem": "pg_stat_statements is not loaded (profile: `statements: true`)"}
    journal = _journal([MetricCheck("p99", "below", 0.15)], extra={"slow_statements": [missing]})
    (_, lines), *_ = slow_cause_sections(journal, judge(journal))
    assert lines[-1] == "db: pg_stat_statements is not loaded (profile: `statements: true`)"


def test_redis_slowlog_is_shown_slowest_first():
    slowlog = {"service": "cache", "entries": [{"command": "GET ?", "ms": 12.0}, {"command": "KEYS ?", "ms": 310.0}]}
    journal = _journal([MetricCheck("avg", "below", 0.05)], extra={"slow_statements": [], "redis_slowlog": [slowlog]})
    (_, lines), *_ = slow_cause_sections(journal, judge(journal))
    assert lines[-4] == "cache: slowest commands while the load ran (SLOWLOG):"
    assert lines[-2].split() == ["310.0ms", "KEYS", "?"] and lines[-1].split() == ["12.0ms", "GET", "?"]
