"""The stubs' answers (calls by route and status) are in the terminal when an error-rate or
stub check failed, where they may be the reason; not when only latency failed."""

from __future__ import annotations

import dataclasses
import io

from report_journals import sample_journal

from envsim.config.check_kinds import Check, MetricCheck, StubInvariant
from envsim.journal import Journal, ProbeResult
from envsim.reports.terminal import print_verdict
from envsim.verdict import judge


def _terminal(check: Check, stub_calls: list[dict], *probes: ProbeResult) -> str:
    journal: Journal = dataclasses.replace(
        sample_journal(), checks=(check,), probes=probes, extra={"stub_calls": stub_calls}
    )
    verdict = judge(journal)
    assert not verdict.passed
    out = io.StringIO()
    print_verdict(verdict, out, rich=False, journal=journal)
    return out.getvalue()


STUB_CALLS = [
    {"service": "payments", "route": "POST /v1/charges", "status": 201, "count": 117, "during": "db-slow"},
    {"service": "payments", "route": "POST /v1/charges", "status": 503, "count": 13, "during": "db-slow"},
    {"service": "payments", "route": "POST /v1/charges", "status": 401, "count": 2},
]


def test_the_stubs_answers_are_in_the_terminal_when_an_error_rate_check_fails():
    text = _terminal(MetricCheck("error_rate", "below", 0.0), STUB_CALLS)
    assert "what the stubs answered:" in text
    assert "  payments POST /v1/charges: 503 x 13 during db-slow\n" in text
    assert "  payments POST /v1/charges: 401 x 2 (unauthorized)\n" in text
    assert "  payments during db-slow: 130 calls, 503 x 13 (10.0%)\n" in text
    assert text.index("what the stubs answered:") < text.index("verdict: FAILED")


def test_the_stubs_answers_stay_out_of_the_terminal_when_only_a_latency_check_fails():
    text = _terminal(MetricCheck("p95", "below", 0.001, phase="during:db-slow"), STUB_CALLS)
    assert "what the stubs answered" not in text and "503 x 13" not in text


def test_the_stubs_answers_are_in_the_terminal_when_a_stub_check_fails():
    no_refusals = StubInvariant("payments", statuses=(401,), comparator="equals", expected=0)
    text = _terminal(no_refusals, STUB_CALLS, ProbeResult("check-1", 181.0, True, 2.0, "2 calls (401: 2)"))
    assert "  payments POST /v1/charges: 401 x 2 (unauthorized)\n" in text
