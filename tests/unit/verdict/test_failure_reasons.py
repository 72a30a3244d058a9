"""Why requests failed and what still hung, judged from plain journals; and how reports show it."""

from __future__ import annotations

import json
from dataclasses import replace

from verdict_journals import fault_events, journal

from envsim.config.check_kinds import MetricCheck
from envsim.journal import ALL_ENDPOINTS, FailureReason, Journal, StatsPoint
from envsim.reports.html_report import render_html
from envsim.reports.junit import render_junit
from envsim.reports.markdown import render_markdown
from envsim.reports.terminal import render_plain
from envsim.verdict import judge

FAULT = "payments-down"


def failing_journal() -> Journal:
    """20 s of load; payments-down from 5 s to 10 s: /pay answers 502 and users hang."""
    series = []
    for t in range(20):
        down = 5 <= t < 10
        pay_failures = 8 if down else 0
        reasons = (
            (FailureReason("HTTP 502", "unexpected status 502", 6), FailureReason("TimeoutError", "timed out", 2))
            if down
            else ()
        )
        if t == 2:
            pay_failures, reasons = 1, (FailureReason("HTTP 401", "unexpected status 401", 1),)
        series.append(
            StatsPoint(
                t,
                ALL_ENDPOINTS,
                20,
                pay_failures,
                ((50, 12), (10000, 8)) if down else ((50, 20),),
                in_flight=4 if t == 9 else 0,
                oldest_in_flight=3.5 if t == 9 else 0.0,
            )
        )
        series.append(
            StatsPoint(
                t, "pay", 10, pay_failures, ((50, 2), (10000, 8)) if down else ((50, 10),), failure_reasons=reasons
            )
        )
        series.append(StatsPoint(t, "browse", 10, 0, ((50, 10),)))
    checks = (
        MetricCheck("error_rate", "below", 0.05, phase=f"during:{FAULT}"),
        MetricCheck("p50", "below", 0.5, phase=f"during:{FAULT}"),
        MetricCheck("error_rate", "below", 0.05, phase="baseline"),
    )
    return replace(journal(checks, seconds=20, faults=fault_events((FAULT, 5.0, 10.0))), series=tuple(series))


def test_a_failed_check_names_the_top_reasons_of_its_window_and_what_hung_at_its_end():
    during, p50, baseline = judge(failing_journal()).results
    assert not during.passed
    assert during.top_failures == (
        "30 x HTTP 502 (unexpected status 502) on pay",
        "10 x TimeoutError (timed out) on pay",
    )
    assert during.reason.endswith("at its end 4 requests in flight for >= 3.5s")
    assert p50.passed and p50.top_failures == ()  # a passing check names none
    assert baseline.passed and "in flight" not in baseline.reason


def test_the_verdict_lists_top_reasons_over_the_run_and_per_phase():
    verdict = judge(failing_journal())
    phases = {p.phase: p for p in verdict.failure_reasons}
    assert list(phases) == ["run", "baseline", f"during:{FAULT}"]  # no failures after the fault
    assert phases["run"].failures == 41
    assert [r.kind for r in phases["run"].reasons] == ["HTTP 502", "TimeoutError", "HTTP 401"]
    assert [(r.kind, r.count) for r in phases["baseline"].reasons] == [("HTTP 401", 1)]
    assert json.loads(json.dumps(verdict.to_dict()))["failure_reasons"][0]["phase"] == "run"


def test_every_report_shows_why_requests_failed_next_to_the_checks():
    data = failing_journal()
    verdict = judge(data)
    plain = render_plain(verdict)
    assert "top failures: 30 x HTTP 502 (unexpected status 502) on pay" in plain
    assert "why requests failed:" in plain and "during payments-down: 40 failed: 30 x HTTP 502" in plain
    markdown = render_markdown(data, verdict)
    assert "### Why requests failed" in markdown and "- baseline: 1 failed: 1 x HTTP 401" in markdown
    junit = render_junit(data, verdict)
    assert "top failures: 30 x HTTP 502 (unexpected status 502) on pay; 10 x TimeoutError" in junit
    assert "why requests failed:" in junit
    html = render_html(data, verdict)
    assert '<ul id="failure-reasons">' in html and "30 x HTTP 502 (unexpected status 502) on pay" in html


def test_a_run_without_failures_has_no_reasons_section():
    clean = journal((MetricCheck("error_rate", "below", 0.05),), seconds=10)
    verdict = judge(clean)
    assert verdict.failure_reasons == ()
    assert "why requests failed" not in render_plain(verdict)
    assert "Why requests failed" not in render_markdown(clean, verdict)


def test_format_2_and_3_journals_load():
    current = json.loads(failing_journal().to_json())
    assert current["version"] == 3
    reread = Journal.from_json(json.dumps(current))
    assert reread.series == failing_journal().series
    old = json.loads(journal((MetricCheck("p95", "below", 0.5),), seconds=3).to_json())
    old["version"] = 2
    for point in old["series"]:  # format 2 points had neither in-flight counts nor reasons
        for key in ("in_flight", "oldest_in_flight", "failure_reasons"):
            del point[key]
    loaded = Journal.from_json(json.dumps(old))
    assert loaded.version == 3 and {(p.in_flight, p.failure_reasons) for p in loaded.series} == {(0, ())}
    assert judge(loaded).results[0].passed
