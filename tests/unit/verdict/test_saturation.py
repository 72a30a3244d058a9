"""The saturation guard: a check read while the load generator measured itself is inconclusive."""

from __future__ import annotations

import dataclasses

from verdict_journals import fault_events, journal, steady

from envsim.config.check_kinds import MetricCheck, SqlInvariant
from envsim.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VERDICT_FAILED, verdict_exit
from envsim.journal import ALL_ENDPOINTS, GeneratorSample, Journal, ProbeResult
from envsim.verdict import judge

PINNED = {"python": "3.11", "load_generator": {"host_cpus": 2, "cpus": [0], "stack_cpus": [1]}}


def samples(seconds: int, cpu, waited=lambda t: 0.0, host=lambda t: 50.0, users: int = 10):
    """One sample per second, taken at the end of it, with the CPU `cpu(t)` of second t."""
    return tuple(
        GeneratorSample(float(t + 1), host(t), (("locust", 4242, cpu(t), waited(t)),), asked_users=users)
        for t in range(seconds)
    )


def sampled(checks, cpu, waited=lambda t: 0.0, host=lambda t: 50.0, **fields) -> Journal:
    base = journal(checks, seconds=45, profile=steady(millis=120), **fields)
    return dataclasses.replace(
        base, environment=PINNED, generator=samples(45, cpu, waited, host), series=_with_users(base, 10)
    )


def _with_users(base: Journal, users: int):
    return tuple(dataclasses.replace(p, users=users) if p.endpoint == ALL_ENDPOINTS else p for p in base.series)


def test_a_saturated_generator_makes_a_failing_latency_check_inconclusive_with_the_reason_and_fix():
    j = sampled((MetricCheck("p95", "below", 0.05),), cpu=lambda t: 98.0 if t < 31 else 40.0)
    verdict = judge(j)
    (result,) = verdict.results
    assert not result.passed and result.measured == 0.12
    assert result.inconclusive == (
        "the load generator (locust, pid 4242) used 98% CPU for 31 of 45 s; "
        "add think time, lower users, add workers, or run the load elsewhere"
    )
    assert verdict.inconclusive == (f"check-1 p95 < 50ms: {result.inconclusive}",)
    assert not verdict.passed and verdict.failed == ()
    assert verdict.summary_line() == (
        "verdict: INCONCLUSIVE (0/1 checks passed, 1 inconclusive); check-1 p95 < 50ms: the load generator "
        "(locust, pid 4242) used 98% CPU for 31 of 45 s; add think time, lower users, add workers, or run the "
        "load elsewhere"
    )
    assert verdict_exit(verdict.passed, bool(verdict.inconclusive)) == EXIT_INCONCLUSIVE


def test_a_passing_check_read_from_a_saturated_generator_is_no_pass_either():
    verdict = judge(sampled((MetricCheck("p95", "below", 1.0),), cpu=lambda t: 97.0))
    assert not verdict.results[0].passed and verdict.results[0].inconclusive and verdict.inconclusive


def test_time_waiting_for_a_core_counts_as_saturation():
    verdict = judge(sampled((MetricCheck("p95", "below", 1.0),), cpu=lambda t: 25.0, waited=lambda t: 75.0))
    assert "used 25% CPU and waited 75% of the time for a core for 45 of 45 s" in verdict.results[0].inconclusive


def test_a_few_hot_seconds_or_a_busy_generator_below_the_threshold_leave_the_verdict_alone():
    few = judge(sampled((MetricCheck("p95", "below", 1.0),), cpu=lambda t: 99.0 if t < 5 else 30.0))
    busy = judge(sampled((MetricCheck("p95", "below", 1.0),), cpu=lambda t: 85.0))
    assert few.passed and busy.passed and not few.results[0].inconclusive


def test_a_real_failure_stands_beside_an_inconclusive_check():
    checks = (MetricCheck("p95", "below", 1.0), SqlInvariant("db", "select 1", "equals", expected=2))
    j = dataclasses.replace(sampled(checks, cpu=lambda t: 99.0), probes=(ProbeResult("check-2", 50.0, True, 1.0),))
    verdict = judge(j)
    latency, sql = verdict.results
    assert latency.inconclusive and not sql.inconclusive and not sql.passed  # a probe is not the generator's
    assert not verdict.inconclusive and verdict.failed == (sql,)
    assert verdict_exit(verdict.passed, bool(verdict.inconclusive)) == EXIT_VERDICT_FAILED


def test_only_the_checks_whose_window_was_saturated_are_inconclusive():
    checks = (MetricCheck("p95", "below", 1.0, phase="baseline"), MetricCheck("p95", "below", 1.0, phase="during:f"))
    j = sampled(checks, cpu=lambda t: 99.0 if 20 <= t < 30 else 20.0, faults=fault_events(("f", 20, 30)))
    baseline, during = judge(j).results
    assert baseline.passed and not baseline.inconclusive
    assert during.inconclusive.startswith("the load generator (locust, pid 4242) used 99% CPU for 10 of 10 s")


def test_a_generator_that_could_not_hold_the_asked_users_is_inconclusive():
    base = sampled((MetricCheck("p95", "below", 1.0),), cpu=lambda t: 30.0)
    short = tuple(
        dataclasses.replace(p, users=4 if p.t >= 10 else 10) if p.endpoint == ALL_ENDPOINTS else p for p in base.series
    )
    verdict = judge(dataclasses.replace(base, series=short))
    assert verdict.inconclusive
    assert verdict.results[0].inconclusive.startswith(
        "the load generator could not hold the asked users (as few as 4 of 10) for 35 of 45 s"
    )


def test_a_busy_machine_the_generator_took_much_of_is_noted_beside_latency_checks_only():
    checks = (MetricCheck("p95", "below", 1.0), MetricCheck("error_rate", "below", 0.05))
    verdict = judge(sampled(checks, cpu=lambda t: 80.0, host=lambda t: 96.0))
    latency, errors = verdict.results
    assert verdict.passed
    assert latency.contention.startswith(
        "the machine was busy (96% CPU for 45 of 45 s) and the load generator took 40%"
    )
    assert errors.contention == ""


def test_the_verdict_states_where_the_generator_ran():
    verdict = judge(sampled((MetricCheck("p95", "below", 1.0),), cpu=lambda t: 30.0 + t))
    assert verdict.generator == (
        "pinned to core 0, the stack to core 1; busiest Locust process at 74% CPU (locust, pid 4242); "
        "machine 50% busy on average (2 cores)"
    )


def test_a_journal_without_samples_judges_as_before():
    checks = (MetricCheck("p95", "below", 1.0), MetricCheck("p95", "below", 0.05))
    verdict = judge(journal(checks, profile=steady(millis=120)))
    assert [r.passed for r in verdict.results] == [True, False]
    assert not verdict.inconclusive and verdict.generator == "" and verdict.summary_line().startswith("verdict: FAILED")
    assert verdict_exit(verdict.passed, bool(verdict.inconclusive)) == EXIT_VERDICT_FAILED
    assert verdict_exit(True, False) == EXIT_OK


def test_samples_survive_the_journal_file_and_judge_the_same(tmp_path):
    j = sampled((MetricCheck("p95", "below", 1.0),), cpu=lambda t: 95.0)
    j.write(tmp_path / "journal.json")
    again = Journal.read(tmp_path / "journal.json")
    assert again.generator == j.generator and judge(again) == judge(j)
