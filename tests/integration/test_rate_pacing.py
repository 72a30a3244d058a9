"""`load.rate` with a real Locust child against a real HTTP server on 127.0.0.1: the users pace
themselves to the rate asked, follow the stages, and a slow app gets less without the guard
calling it the generator's."""

from __future__ import annotations

import pytest
from run_support.load_journal import journal_of_load
from run_support.target_server import TargetServer

from envsim.config.check_kinds import MetricCheck
from envsim.config.scenario_model import LoadSpec, LoadStage, LoadTask
from envsim.journal import ALL_ENDPOINTS, Journal
from envsim.run.load_result import LoadResult
from envsim.run.load_with_faults import run_load
from envsim.verdict import judge

# alone: it counts the requests sent each second, which a machine busy with stacks skews
pytestmark = [pytest.mark.timeout(90), pytest.mark.docker_free, pytest.mark.alone]


def journal_of(result: LoadResult, checks) -> Journal:
    return journal_of_load(result, checks, load_generator={"host_cpus": 2})


def test_the_users_pace_themselves_to_the_rate_through_the_stages():
    load = LoadSpec(
        users=4,
        spawn_rate=50,
        duration=7,
        stages=(LoadStage(3, 2, 50), LoadStage(4, 4, 50)),
        rate=40.0,  # 10 task runs per second a user: 20/s in the first stage, 40/s in the second
        tasks=(LoadTask("browse", "GET", "/fast"),),
    )
    with TargetServer() as server:
        result = run_load(load, server.url)
    sent = {p.t: p.started for p in result.series if p.endpoint == ALL_ENDPOINTS}
    assert all(17 <= sent[t] <= 23 for t in (1, 2)), sent
    assert all(36 <= sent[t] <= 44 for t in (4, 5)), sent
    asked = {round(s.t) - 1: (s.asked_rate, s.achieved_rate) for s in result.generator}
    assert asked[1] == (20.0, sent[1]) and asked[5] == (40.0, sent[5])
    assert judge(journal_of(result, (MetricCheck("p95", "below", 1.0),))).passed


def test_a_slow_app_gets_less_than_the_rate_and_fails_its_latency_check_instead_of_being_inconclusive():
    load = LoadSpec(users=4, spawn_rate=50, duration=5, rate=40.0, tasks=(LoadTask("search", "GET", "/slow"),))
    with TargetServer(delay=0.2) as server:
        server.delay_on.set()  # 200 ms answers: 4 users waiting on them send 20 of the 40/s asked
        result = run_load(load, server.url)
    sent = {p.t: p.started for p in result.series if p.endpoint == ALL_ENDPOINTS}
    assert all(16 <= sent[t] <= 24 for t in (1, 2, 3)), sent
    verdict = judge(journal_of(result, (MetricCheck("p95", "below", 0.1),)))
    (p95,) = verdict.results
    assert not p95.passed and not p95.inconclusive and not verdict.inconclusive
