"""Checks on what the app sent a stub: measured from recorded exchanges (plain data), judged
from the journal alone (so a saved run is judged again), shown in reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from verdict_journals import journal, steady

from envsim.config.check_kinds import StubInvariant
from envsim.config.profile_model import StubRoute, StubSpec
from envsim.engine.mockserver_client import RecordedExchange, RecordedRequest
from envsim.engine.stub_calls import CallWindow, backoff_violations, measure, route_of, traffic
from envsim.journal import CredentialRotation, Journal, ProbeResult
from envsim.reports.html_report import render_html
from envsim.reports.markdown import render_markdown
from envsim.verdict import judge

T0 = datetime(2026, 1, 1, 12, 0, 0)
SPEC = StubSpec(routes=(StubRoute("POST", "/v1/charges", 201), StubRoute("GET", "/v1/charges/{id}")))


def call(
    at: float,
    status: int | None,
    key: str | None = "order-1",
    retry_after: str | None = None,
    method: str = "POST",
    path: str = "/v1/charges",
) -> RecordedExchange:
    headers = {"Idempotency-Key": (key,)} if key else {}
    return RecordedExchange(
        RecordedRequest(method, path, headers),
        status,
        {"Retry-After": (retry_after,)} if retry_after else {},
        T0 + timedelta(seconds=at),
    )


def test_calls_are_counted_by_route_and_status_with_path_parameters():
    exchanges = [
        call(0, 201),
        call(1, 503),
        call(2, 201, path="/v1/refunds"),
        call(3, 200, method="GET", path="/v1/charges/ch_9"),
    ]
    assert route_of(exchanges[3], SPEC) == "GET /v1/charges/{id}"
    assert traffic(exchanges, SPEC) == [
        ("GET /v1/charges/{id}", 200, None, 1),
        ("POST /v1/charges", 201, None, 1),
        ("POST /v1/charges", 503, None, 1),
        ("other", 201, None, 1),
    ]
    count = StubInvariant("payments", "POST", "/v1/charges", comparator="equals", expected=2)
    assert measure(count, exchanges, SPEC)[0] == 2.0
    refused = StubInvariant("payments", statuses=(401, 403, 410), comparator="equals", expected=0)
    assert measure(refused, exchanges, SPEC)[0] == 0.0


def test_a_header_missing_on_one_call_is_counted():
    check = StubInvariant("payments", "POST", "/v1/charges", header="Idempotency-Key")
    value, detail, values = measure(check, [call(0, 201), call(1, 201, key=None)], SPEC)
    assert (value, detail, dict(values)) == (1.0, "1 of 2 calls without Idempotency-Key", {"calls": 2})


def test_backoff_honours_retry_after_or_the_minimum_per_key():
    patient = [
        call(0, 503, retry_after="1"),
        call(1.2, 201),
        call(0.5, 429, key="order-2"),
        call(1.0, 201, key="order-2"),
    ]
    assert backoff_violations(patient, (429, 503), 0.5, "header.Idempotency-Key") == (2, 0, [])
    hasty = [call(0, 503, retry_after="1"), call(0.05, 201)]
    checked, too_soon, examples = backoff_violations(hasty, (429, 503), 0.0, "header.Idempotency-Key")
    assert (checked, too_soon) == (1, 1) and examples == ["retried 0.050s after 503 (Retry-After 1)"]
    assert backoff_violations(hasty, (429,), 0.0, "header.Idempotency-Key")[:2] == (0, 0)  # 503 not named


def stub_journal(check: StubInvariant, probe: ProbeResult | None, **fields) -> Journal:
    return journal(
        (check,),
        seconds=10,
        endpoints={"pay": steady(10, 1)},
        probes=(probe,) if probe else (),
        extra={"endpoints": {"pay": "POST /orders/pay"}},
        **fields,
    )


def test_a_count_compares_with_a_tasks_successes_and_is_judged_again_from_the_saved_journal():
    check = StubInvariant(
        "payments", "POST", "/v1/charges", comparator="equals", expected_count_of=("successes", "pay")
    )
    saved = stub_journal(check, ProbeResult("check-1", 10.0, True, 90.0, "90 calls (201: 90)"))
    result = judge(Journal.from_json(saved.to_json())).results[0]
    assert result.passed and result.measured == 90 and result.bound == 90
    doubled = stub_journal(check, ProbeResult("check-1", 10.0, True, 95.0, "95 calls (201: 95)"))
    assert not judge(doubled).results[0].passed


def test_header_backoff_and_refused_statuses_fail_with_what_was_seen():
    header = StubInvariant("payments", "POST", "/v1/charges", header="Idempotency-Key")
    missing = judge(
        stub_journal(
            header, ProbeResult("check-1", 1, True, 3.0, "3 of 50 calls without Idempotency-Key", (("calls", 50),))
        )
    ).results[0]
    assert not missing.passed and "3 of 50" in missing.reason
    none_sent = judge(stub_journal(header, ProbeResult("check-1", 1, True, 0.0, "", (("calls", 0),)))).results[0]
    assert not none_sent.passed and none_sent.reason.startswith("no data")
    backoff = StubInvariant(
        "payments", backoff_after=(429, 503), backoff_at_least=1.0, backoff_key="header.Idempotency-Key"
    )
    hasty = judge(
        stub_journal(
            backoff, ProbeResult("check-1", 1, True, 4.0, "4 of 9 retries too soon", (("calls", 60), ("retries", 9)))
        )
    ).results[0]
    assert not hasty.passed and hasty.measured == 4
    gone = StubInvariant("payments", statuses=(410,), comparator="equals", expected=0)
    assert not judge(stub_journal(gone, ProbeResult("check-1", 1, True, 12.0, "12 calls (410: 12)"))).results[0].passed
    assert not judge(stub_journal(gone, None)).results[0].passed  # no probe: never passes by default


def test_reports_show_calls_by_route_and_status_with_refusals_called_out_and_rotations():
    check = StubInvariant("payments", statuses=(401,), comparator="equals", expected=0)
    run = stub_journal(
        check,
        ProbeResult("check-1", 1, True, 7.0, "7 calls (401: 7)"),
        rotations=(CredentialRotation(5.0, "payments_token", ("payments",), ("c:/run/secrets/t",)),),
    )
    run = Journal(
        **{
            **run.__dict__,
            "extra": {
                **run.extra,
                "stub_calls": [
                    {"service": "payments", "route": "POST /v1/charges", "status": 201, "count": 40},
                    {"service": "payments", "route": "POST /v1/charges", "status": 401, "count": 7},
                ],
            },
        }
    )
    verdict = judge(run)
    markdown = render_markdown(run, verdict)
    assert "### Calls to stub payments" in markdown
    assert "| POST /v1/charges |  | 401 | 7 | ⚠️ unauthorized |" in markdown
    assert "5.0s: payments_token rotated (stub payments, file c:/run/secrets/t)" in markdown
    html = render_html(run, verdict)
    assert 'id="stub-payments"' in html and "unauthorized" in html and 'id="rotations"' in html


def test_calls_are_counted_apart_per_fault_window_so_a_faults_effect_reads_from_the_report():
    # a 10% 503 fault from 10 s to 20 s: 20 calls inside it (2 answered 503), 10 before, 10 after
    exchanges = (
        [call(t * 0.5, 201) for t in range(20)]
        + [call(10 + t * 0.5, 503 if t in (3, 11) else 201) for t in range(20)]
        + [call(20 + t * 0.5, 201) for t in range(10)]
    )
    window = CallWindow("payments-flaky", T0 + timedelta(seconds=10), T0 + timedelta(seconds=20))
    assert traffic(exchanges, SPEC, [window]) == [
        ("POST /v1/charges", 201, None, 30),
        ("POST /v1/charges", 201, "payments-flaky", 18),
        ("POST /v1/charges", 503, "payments-flaky", 2),
    ]
    still_on = CallWindow("payments-flaky", T0 + timedelta(seconds=10), None)  # never removed
    assert traffic(exchanges, SPEC, [still_on])[-1] == ("POST /v1/charges", 503, "payments-flaky", 2)
    assert sum(n for _, _, during, n in traffic(exchanges, SPEC, [still_on]) if during) == 30

    check = StubInvariant("payments", statuses=(401,), comparator="equals", expected=0)
    run = stub_journal(check, ProbeResult("check-1", 1, True, 0.0, "0 calls (none)"))
    run = Journal(
        **{
            **run.__dict__,
            "extra": {
                **run.extra,
                "stub_calls": [
                    {
                        "service": "payments",
                        "route": route,
                        "status": status,
                        "count": n,
                        **({"during": d} if d else {}),
                    }
                    for route, status, d, n in traffic(exchanges, SPEC, [window])
                ],
            },
        }
    )
    verdict = judge(run)
    markdown = render_markdown(run, verdict)
    assert "| POST /v1/charges | payments-flaky | 503 | 2 |  |" in markdown
    assert "- during payments-flaky: 20 calls, 503 x 2 (10.0%)" in markdown
    html = render_html(run, verdict)
    assert "<li>during payments-flaky: 20 calls, 503 x 2 (10.0%)</li>" in html
