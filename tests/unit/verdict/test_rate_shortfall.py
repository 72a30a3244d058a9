"""The asked rate against the rate sent: only a shortfall the app's answers do not explain is
the generator's, and makes the checks read from the load inconclusive."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from verdict_journals import journal

from envsim.config.check_kinds import MetricCheck
from envsim.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VERDICT_FAILED, verdict_exit
from envsim.journal import ALL_ENDPOINTS, GeneratorSample, Journal, StatsPoint
from envsim.verdict import judge
from envsim.verdict.generator_text import describe_generator

SETUP = {"python": "3.11", "load_generator": {"host_cpus": 2, "cpus": [], "stack_cpus": []}}
SECONDS = 30
P95_100MS = MetricCheck("p95", "below", 0.1)
ERRORS_1PC = MetricCheck("error_rate", "below", 0.01)


def paced(
    sent: Callable[[int], int],
    millis: Callable[[int], int] = lambda t: 20,
    users: Callable[[int], int] = lambda t: 10,
    asked_rate: Callable[[int], float] = lambda t: 50.0,
    failures: Callable[[int], int] = lambda t: 0,
    in_flight: Callable[[int], int] = lambda t: 0,
    busy: Callable[[int], float] = lambda t: 40.0,
    checks=(P95_100MS, ERRORS_1PC),
) -> Journal:
    """SECONDS seconds of load with `users(t)` users (and as many asked) paced to `asked_rate(t)`
    requests/s, of which `sent(t)` started in second t and answered in `millis(t)` ms; the
    Locust process ran or waited for a core `busy(t)` percent of second t."""
    series = tuple(
        StatsPoint(
            t,
            ALL_ENDPOINTS,
            sent(t),
            failures(t),
            ((millis(t), sent(t)),) if sent(t) else (),
            users=users(t),
            in_flight=in_flight(t),
            started=sent(t),
        )
        for t in range(SECONDS)
    )
    samples = tuple(
        GeneratorSample(
            float(t + 1), 60.0, (("locust", 4242, busy(t) / 4, 3 * busy(t) / 4),), users(t), asked_rate(t), sent(t)
        )
        for t in range(SECONDS)
    )
    base = journal(checks, seconds=SECONDS)
    return dataclasses.replace(base, environment=SETUP, series=series, generator=samples)


def test_a_generator_that_could_not_send_the_asked_rate_to_a_fast_app_is_inconclusive_naming_the_rate():
    verdict = judge(paced(sent=lambda t: 31))
    p95, errors = verdict.results
    reason = (
        "the load generator sent 31 of the 50 requests/s asked while the app answered in 20 ms, for 28 of 30 s; "
        "lower load.rate, add workers, or run the load elsewhere"
    )
    assert p95.inconclusive == reason and errors.inconclusive == reason
    assert verdict_exit(verdict.passed, bool(verdict.inconclusive)) == EXIT_INCONCLUSIVE


def test_the_same_generator_sending_the_asked_rate_passes():
    verdict = judge(paced(sent=lambda t: 49 if t % 2 else 50))
    assert verdict.passed and not verdict.inconclusive


def test_a_slow_app_lowers_the_rate_without_making_it_the_generators_and_the_latency_check_fails():
    # 10 users, 5 requests/s each asked, answers in 500 ms: each can send 2/s, 20 in all
    verdict = judge(paced(sent=lambda t: 20, millis=lambda t: 500))
    p95, errors = verdict.results
    assert not p95.passed and not p95.inconclusive and errors.passed
    assert verdict.failed == (p95,) and not verdict.inconclusive
    assert verdict_exit(verdict.passed, bool(verdict.inconclusive)) == EXIT_VERDICT_FAILED


def test_a_slow_app_the_generator_also_fell_short_of_is_still_the_generators():
    # answers in 100 ms allow 10 users at 5/s each all 50; 30 sent is the generator's
    verdict = judge(paced(sent=lambda t: 30, millis=lambda t: 100))
    assert "sent 30 of the 50 requests/s asked while the app answered in 100 ms" in verdict.results[0].inconclusive


def test_a_busy_generator_whose_own_delay_made_the_answers_seem_slow_is_the_generators():
    # 20 users always in flight on answers timed at 60 ms allow 333 of the 2000 requests/s asked;
    # the generator's own delay is in those 60 ms when it was busy, and a slow app leaves it idle
    def run(busy: float) -> Journal:
        return paced(lambda t: 300, lambda t: 60, lambda t: 20, lambda t: 2000.0, busy=lambda t: busy)

    assert judge(run(82.0)).results[0].inconclusive == (
        "the load generator sent 300 of the 2000 requests/s asked while it ran or waited for a core 82% of the "
        "time, for 28 of 30 s; lower load.rate, add workers, or run the load elsewhere"
    )
    assert "ran or waited for a core 100% of the time" in judge(run(104.0)).results[0].inconclusive  # readings skew
    idle = judge(run(30.0))
    assert idle.passed and not idle.inconclusive


def test_a_hung_app_holds_its_users_and_fails_its_checks_instead():
    # from second 10 every user waits on an answer that ends in a timeout 10 s later
    verdict = judge(
        paced(
            sent=lambda t: 50 if t < 10 else (10 if t in (10, 20) else 0),
            millis=lambda t: 20 if t < 10 else 10_000,
            failures=lambda t: 10 if t in (10, 20) else 0,
            in_flight=lambda t: 10 if t >= 10 else 0,
        )
    )
    p95, errors = verdict.results
    assert not p95.inconclusive and not errors.inconclusive and not verdict.inconclusive
    assert not errors.passed and verdict.failed == (errors,)  # 20 timeouts in 520 requests
    assert verdict_exit(verdict.passed, bool(verdict.inconclusive)) == EXIT_VERDICT_FAILED


def test_idle_users_that_sent_nothing_to_a_fast_app_are_the_generators():
    verdict = judge(paced(sent=lambda t: 50 if t < 10 else 0))
    assert "sent 0 of the 50 requests/s asked, for 20 of 30 s" in verdict.results[0].inconclusive


def test_a_ramp_and_a_second_stage_sent_as_asked_pass():
    # users ramp 1 a second to 10, hold, then a second stage ramps to 20 (5 requests/s each)
    def users(t: int) -> int:
        return min(t + 1, 10) if t < 15 else min(10 + (t - 14), 20)

    def sent(t: int) -> int:  # a user started during second t sends from the next one
        return 5 * users(t - 1) if t else 0

    verdict = judge(paced(sent=sent, users=users, asked_rate=lambda t: 5.0 * users(t)))
    assert verdict.passed and not verdict.inconclusive
    assert verdict_exit(verdict.passed, bool(verdict.inconclusive)) == EXIT_OK


def test_a_stage_the_generator_could_not_send_is_inconclusive():
    def users(t: int) -> int:
        return 10 if t < 15 else 20

    def sent(t: int) -> int:  # the second stage's 100 requests/s got 60
        return 50 if t < 15 else 60

    verdict = judge(paced(sent=sent, users=users, asked_rate=lambda t: 5.0 * users(t)))
    assert "sent 60 of the 100 requests/s asked while the app answered in 20 ms, for 14 of 30 s" in (
        verdict.results[0].inconclusive
    )


def test_a_stray_failure_excuses_no_shortfall_and_many_failures_leave_it_to_the_checks():
    stray = judge(paced(sent=lambda t: 31, failures=lambda t: 1, checks=(P95_100MS,)))
    assert "sent 31 of the 50 requests/s asked" in stray.results[0].inconclusive
    failing = judge(paced(sent=lambda t: 31, failures=lambda t: 4))
    p95, errors = failing.results
    assert not failing.inconclusive and p95.passed and not errors.passed


def test_users_slower_than_a_request_a_second_are_judged_over_their_interval():
    # 20 users asked 10/s together: one request every 2 s each, all in the same second
    together = judge(paced(sent=lambda t: 20 if t % 2 == 0 else 0, users=lambda t: 20, asked_rate=lambda t: 10.0))
    assert together.passed and not together.inconclusive
    half = judge(paced(sent=lambda t: 10 if t % 2 == 0 else 0, users=lambda t: 20, asked_rate=lambda t: 10.0))
    assert "sent 5 of the 10 requests/s asked" in half.results[0].inconclusive


def test_a_few_short_seconds_leave_the_verdict_alone():
    verdict = judge(paced(sent=lambda t: 20 if t in (12, 13) else 50))
    assert verdict.passed and not verdict.inconclusive


def test_the_report_line_gives_the_rate_asked_and_sent():
    line = describe_generator(paced(sent=lambda t: 40 if t < 10 else 50))
    assert line.endswith("rate asked up to 50 requests/s, sent 47/s on average")
    assert "rate" not in describe_generator(paced(sent=lambda t: 50, asked_rate=lambda t: 0.0))
