import math

from verdict_journals import fault_events, journal, steady

from envsim.config.check_kinds import HttpInvariant, MetricCheck, RecoveryCheck, SqlInvariant
from envsim.journal import ProbeResult
from envsim.verdict import judge


def only(verdict):
    assert len(verdict.results) == 1
    return verdict.results[0]


def slow_during(start, end, slow_ms=800, fail=0):
    def profile(t):
        if start <= t < end:
            return 10, fail, {slow_ms: 10}
        return 10, 0, {100: 10}

    return profile


def test_run_p95_passes_and_fails_with_measured_and_bound():
    ok = only(judge(journal((MetricCheck("p95", "below", 0.5),), profile=steady(millis=120))))
    assert ok.passed and ok.measured == 0.120 and ok.bound == 0.5 and ok.unit == "s"
    assert ok.check_id == "check-1" and ok.label == "p95 < 500ms"
    bad = only(judge(journal((MetricCheck("p95", "below", 0.1),), profile=steady(millis=120))))
    assert not bad.passed and bad.measured == 0.120


def test_each_phase_sees_only_its_own_seconds():
    checks = (
        MetricCheck("p95", "below", 0.2, phase="baseline"),
        MetricCheck("p95", "above", 0.7, phase="during:db-slow"),
        MetricCheck("p95", "below", 0.2, phase="after:db-slow"),
        MetricCheck("p95", "below", 0.2),  # the run includes the slow window
    )
    j = journal(checks, seconds=60, profile=slow_during(20, 30), faults=fault_events(("db-slow", 20, 30)))
    baseline, during, after, run = judge(j).results
    assert baseline.passed and baseline.measured == 0.1
    assert during.passed and during.measured == 0.8
    assert after.passed and after.measured == 0.1
    assert not run.passed and run.measured == 0.8  # 100 of 600 requests slow: p95 is slow


def test_error_rate_and_rps_during_a_fault():
    checks = (
        MetricCheck("error_rate", "below", 0.05, phase="during:cache-down"),
        MetricCheck("rps", "at_least", 10),
    )
    j = journal(checks, profile=slow_during(10, 20, slow_ms=100, fail=3), faults=fault_events(("cache-down", 10, 20)))
    error_rate, rps = judge(j).results
    assert not error_rate.passed and error_rate.measured == 0.3 and error_rate.unit == "ratio"
    assert rps.passed and rps.measured == 10.0


def test_per_endpoint_metrics_by_request_or_task_name():
    checks = (
        MetricCheck("p95", "below", 0.3, endpoint="GET /products"),
        MetricCheck("p95", "below", 0.3, endpoint="checkout"),
        MetricCheck("p95", "below", 0.3),
    )
    j = journal(
        checks,
        endpoints={"GET /products": steady(20, millis=50), "POST /orders": steady(1, millis=600)},
        extra={"endpoints": {"browse": "GET /products", "checkout": "POST /orders"}},
    )
    products, orders, overall = judge(j).results
    assert products.passed and products.measured == 0.050
    assert not orders.passed and orders.measured == 0.600
    assert overall.passed and overall.measured == 0.050  # 1 slow in 21 is under the p95 rank


def test_aggregate_is_summed_from_endpoints_when_not_recorded():
    j = journal((MetricCheck("rps", "equals", 21),), aggregate=False, endpoints={"a": steady(20), "b": steady(1)})
    assert only(judge(j)).passed


def test_no_data_fails_with_a_reason():
    checks = (
        MetricCheck("p95", "below", 1, endpoint="GET /nope"),
        MetricCheck("p95", "below", 1, phase="during:never-applied"),
        MetricCheck("rps", "below", 1000, phase="baseline"),
        SqlInvariant("db", "select 1", "equals", expected=1),
        HttpInvariant("api", "GET", "/healthz"),
    )
    # no request completed at all: every check has nothing to measure
    j = journal(checks, seconds=30, profile=lambda t: (0, 0, {}), faults=fault_events(("x", 10, 20)))
    results = judge(j).results
    assert [r.passed for r in results] == [False] * 5
    assert "no requests for endpoint 'GET /nope'" in results[0].reason
    assert "never applied" in results[1].reason
    assert "no requests completed" in results[2].reason
    assert "no probe result recorded for check-4" in results[3].reason
    assert "no probe result recorded for check-5" in results[4].reason
    assert all(r.measured is None for r in results)


def test_recovery_found():
    # errors from 20 to 30 (fault window) and lingering until 34: recovery starts at 34
    def profile(t):
        return (10, 5, {900: 10}) if 20 <= t < 34 else (10, 0, {100: 10})

    check = RecoveryCheck("cache-down", 10)
    result = only(judge(journal((check,), profile=profile, faults=fault_events(("cache-down", 20, 30)))))
    assert result.passed and result.measured == 4.0 and result.unit == "s"


def test_recovery_needs_three_healthy_seconds_in_a_row():
    def profile(t):
        if 20 <= t < 30 or t in (31, 34):
            return 10, 5, {900: 10}
        return 10, 0, {100: 10}

    result = only(judge(journal((RecoveryCheck("f", 3),), profile=profile, faults=fault_events(("f", 20, 30)))))
    assert result.measured == 5.0 and not result.passed


def test_recovery_never():
    def profile(t):
        return (10, 5, {900: 10}) if t >= 20 else (10, 0, {100: 10})

    result = only(
        judge(journal((RecoveryCheck("f", 10),), seconds=60, profile=profile, faults=fault_events(("f", 20, 30))))
    )
    assert not result.passed and result.measured is None
    assert "did not recover within 30s" in result.reason


def test_recovery_bounds_tolerate_small_noise():
    # baseline p95 100ms -> bound 170ms; baseline 0% errors -> bound 1%
    def profile(t):
        if 20 <= t < 30:
            return 100, 100, {5000: 100}
        if t >= 30:
            return 100, 1, {160: 100}
        return 100, 0, {100: 100}

    result = only(judge(journal((RecoveryCheck("f", 1),), profile=profile, faults=fault_events(("f", 20, 30)))))
    assert result.passed and result.measured == 0.0


def test_recovery_without_baseline_or_removal_fails():
    no_removal = journal((RecoveryCheck("f", 10),), faults=fault_events(("f", 20, None)))
    assert "never removed" in only(judge(no_removal)).reason
    no_baseline = journal(
        (RecoveryCheck("f", 10),),
        profile=lambda t: (0, 0, {}) if t < 20 else (10, 0, {100: 10}),
        faults=fault_events(("f", 20, 30)),
    )
    assert "no requests in the baseline" in only(judge(no_baseline)).reason


def test_sql_invariant_against_successes_with_tolerance():
    checks = (
        SqlInvariant("db", "select count(*)", "equals", expected_count_of=("successes", "POST /orders")),
        SqlInvariant("db", "select count(*)", "equals", expected_count_of=("successes", "POST /orders"), tolerance=2),
        SqlInvariant("db", "select count(*)", "at_most", expected_count_of=("failures", "POST /orders")),
    )
    probes = (
        ProbeResult("check-1", 61, True, 598),
        ProbeResult("check-2", 61, True, 598),
        ProbeResult("check-3", 61, True, 5),
    )
    # 10 requests/s, 1 failure in each of the first 0..? -> 600 requests, 0 failures
    j = journal(checks, endpoints={"POST /orders": steady(10)}, probes=probes)
    exact, tolerant, failures = judge(j).results
    assert not exact.passed and exact.measured == 598 and exact.bound == 600
    assert "successes of POST /orders = 600" in exact.reason
    assert tolerant.passed
    assert not failures.passed and failures.bound == 0
    assert "bound <= 0 (failures of POST /orders)" in failures.reason


def test_a_count_check_states_its_comparator():
    # seen: "query returned 120; expected = 100" for an at_most check, which read as equality
    check = SqlInvariant("db", "select count(*)", "at_most", expected=100)
    result = only(judge(journal((check,), probes=(ProbeResult("check-1", 70, True, 120),))))
    assert not result.passed
    assert result.reason.endswith("; expected <= 100"), result.reason


def test_sql_invariant_against_a_number_and_the_latest_probe():
    check = SqlInvariant("db", "select count(*)", "above", expected=100)
    probes = (ProbeResult("check-1", 70, True, 150), ProbeResult("check-1", 10, True, 1))
    assert only(judge(journal((check,), probes=probes))).measured == 150


def test_failed_probe_fails_the_check():
    check = SqlInvariant("db", "select count(*)", "equals", expected=1)
    probes = (ProbeResult("check-1", 70, False, None, detail="relation orders does not exist"),)
    result = only(judge(journal((check,), probes=probes)))
    assert not result.passed and "relation orders does not exist" in result.reason


def test_http_invariant_compares_status():
    checks = (HttpInvariant("api", "GET", "/healthz"), HttpInvariant("api", "GET", "/v1", expect_status=410))
    probes = (ProbeResult("check-1", 61, True, 503), ProbeResult("check-2", 61, True, 410))
    health, gone = judge(journal(checks, probes=probes)).results
    assert not health.passed and health.measured == 503 and health.bound == 200
    assert gone.passed


def test_verdict_is_the_and_of_all_checks_and_the_run_state():
    checks = (MetricCheck("p95", "below", 1), MetricCheck("error_rate", "below", 0.01))
    assert judge(journal(checks)).passed
    assert not judge(journal(checks + (MetricCheck("p50", "below", 0.01),))).passed
    interrupted = judge(journal(checks, interrupted=True))
    assert not interrupted.passed and "interrupted" in interrupted.summary_line()
    failed = judge(journal(checks, error="engine went away"))
    assert not failed.passed and "engine went away" in failed.summary_line()


def test_equals_is_exact_up_to_float_noise():
    j = journal((MetricCheck("error_rate", "equals", 0.1),), profile=steady(10, 1))
    assert only(judge(j)).passed
    assert not math.isnan(only(judge(j)).measured)
