"""Requests count in the second they started: a hung dependency fails the checks of its window.

run_load against a real Locust child and a real HTTP server on 127.0.0.1 whose dependency
hangs while a fault is on (see run_support/target_server.py); the load's result goes into a
journal, which the verdict judges.
"""

from __future__ import annotations

import io
import re

import pytest
from run_support.load_journal import journal_of_load
from run_support.target_server import HangSwitch, TargetServer

from envsim.config.check_kinds import MetricCheck, RecoveryCheck
from envsim.config.scenario_model import LoadSpec, LoadTask
from envsim.journal import ALL_ENDPOINTS, Journal, TimelineStep
from envsim.run.load_result import LoadResult
from envsim.run.load_with_faults import run_load
from envsim.run.progress import PlainProgress
from envsim.verdict import judge

# alone: the fault's window must begin on its second; beside other stacks it began late.
# One worker: the hung run two tests read is run once (a 10 s run).
pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.docker_free,
    pytest.mark.alone,
    pytest.mark.xdist_group("time-true-metrics"),
]

FAULT = "upstream-timeout"
CHECKS = (
    MetricCheck("error_rate", "below", 0.05, phase=f"during:{FAULT}"),
    MetricCheck("p95", "below", 0.5, phase=f"during:{FAULT}"),
    RecoveryCheck(FAULT, 3.0),
)


def journal_of(result, checks=CHECKS) -> Journal:
    return journal_of_load(result, checks)


def hung_run(path: str, *, timeout: float = 1.5, hang: float = 4.0, observer=None):
    load = LoadSpec(
        users=4, spawn_rate=50, duration=10, wait=(0.05, 0.1), timeout=timeout, tasks=(LoadTask("order", "GET", path),)
    )
    with TargetServer(hang=hang) as server:
        return run_load(load, server.url, (TimelineStep(FAULT, 2.0, 5.0),), HangSwitch(server), observer)


class LiveLines(PlainProgress):
    """The live view's line for every second, as the run shows it when that second ends."""

    def __init__(self):
        super().__init__(io.StringIO(), every=1000)
        self.by_second: dict[int, str] = {}

    def on_second(self, points):
        super().on_second(points)
        self.by_second[points[0].t] = self.snapshot().line()


@pytest.fixture(scope="module")
def hung() -> tuple[LoadResult, LiveLines]:
    """A run whose dependency hangs during the fault, and the live view's lines of it."""
    view = LiveLines()
    return hung_run("/hang", observer=view), view


def test_a_hanging_dependency_fails_its_window_and_shows_requests_in_flight(hung):
    result, _ = hung
    assert result.error is None
    aggregate = {p.t: p for p in result.series if p.endpoint == ALL_ENDPOINTS}
    # every request started during the fault outlived the 1.5 s client timeout: a failure of the
    # second it started in, with the timeout as its response time
    for t in (2, 3):
        assert aggregate[t].requests > 0 and aggregate[t].failures == aggregate[t].requests, aggregate[t]
        assert aggregate[t].response_times[-1][0] >= 1400
        assert aggregate[t].in_flight > 0 and aggregate[t].oldest_in_flight > 0.3, aggregate[t]
    assert aggregate[0].failures == 0 and aggregate[8].failures == 0
    reasons = {r.kind for p in result.series for r in p.failure_reasons}
    assert reasons and not any(kind.startswith("HTTP") for kind in reasons), reasons

    verdict = judge(journal_of(result))
    error_rate, p95, recovery = verdict.results
    assert not error_rate.passed and error_rate.measured > 0.5
    assert not p95.passed and p95.measured >= 1.4
    assert "in flight for >= " in error_rate.reason, error_rate.reason
    assert error_rate.top_failures and "on order" in error_rate.top_failures[0]
    assert recovery.passed  # the dependency is back and answers at once
    assert [f.phase for f in verdict.failure_reasons][:1] == ["run"]


def test_the_live_view_counts_hung_requests_as_they_start_and_shows_them_in_flight(hung):
    result, view = hung
    assert result.error is None
    aggregate = {p.t: p for p in result.series if p.endpoint == ALL_ENDPOINTS}
    for t in (3, 4):  # wholly inside the fault: no request of the second had ended when it was shown
        line = view.by_second[t]
        # the rate is the requests begun in the second (all of them ended later, as failures)
        assert aggregate[t].started == aggregate[t].requests, aggregate[t]
        assert re.search(rf"rps {aggregate[t].started}\.0 \(\d+ in flight, oldest \d+\.\ds\)", line), line
        assert "errors -" in line, line
    assert aggregate[3].started + aggregate[4].started > 0


def test_a_short_upstream_timeout_with_a_fallback_passes():
    result = hung_run("/guarded")
    aggregate = [p for p in result.series if p.endpoint == ALL_ENDPOINTS]
    assert sum(p.failures for p in aggregate) == 0
    verdict = judge(journal_of(result))
    assert [r.passed for r in verdict.results] == [True, True, True], verdict.results
    assert max(p.in_flight for p in aggregate) <= 4  # never more than one request per user


def test_failure_reasons_reach_the_series_with_counts():
    load = LoadSpec(
        users=2,
        spawn_rate=50,
        duration=3,
        wait=(0.05, 0.05),
        tasks=(
            LoadTask("login", "GET", "/status/401"),
            LoadTask("pay", "POST", "/status/502"),
            LoadTask("browse", "GET", "/fast"),
        ),
    )
    with TargetServer() as server:
        result = run_load(load, server.url)
    counts: dict[tuple[str, str, str], int] = {}
    for point in result.series:
        for reason in point.failure_reasons:
            key = (point.endpoint, reason.kind, reason.message)
            counts[key] = counts.get(key, 0) + reason.count
    failures = {p.endpoint: 0 for p in result.series}
    for point in result.series:
        failures[point.endpoint] += point.failures
    assert counts[("login", "HTTP 401", "unexpected status 401")] == failures["login"] > 0
    assert counts[("pay", "HTTP 502", "unexpected status 502")] == failures["pay"] > 0
    assert failures["browse"] == 0
    journal = journal_of(result, (MetricCheck("error_rate", "below", 0.01),))
    reread = Journal.from_json(journal.to_json())
    assert reread.series == journal.series  # reasons survive the journal file
    (check,) = judge(reread).results
    assert {text.split(" on ")[1] for text in check.top_failures} == {"login", "pay"}
