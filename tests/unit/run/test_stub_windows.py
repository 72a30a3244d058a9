"""Which of a stub's calls a fault window holds: from the apply's start to the removal's end, so
a call the fault answered is never counted outside it (one 503 was, in a CI run)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from envsim.config.fault_kinds.http import HttpErrorFault
from envsim.config.fault_model import FailureMode
from envsim.engine.mockserver_client import RecordedExchange, RecordedRequest
from envsim.engine.stub_calls import window_of
from envsim.journal import FaultEvent
from envsim.run.load_result import LoadResult
from envsim.run.scenario_run import stub_windows

T0 = datetime(2026, 1, 1, 12, 0, 0)


def call(at: float) -> RecordedExchange:
    return RecordedExchange(RecordedRequest("GET", "/ping", {}), 503, {}, T0 + timedelta(seconds=at))


def test_a_window_runs_from_the_apply_starting_to_the_removal_ending():
    mode = FailureMode("flaky-503", "flaky", effects=(HttpErrorFault(rates=((503, 0.1),)),))
    scenario = SimpleNamespace(profile=SimpleNamespace(failure_modes=(mode,)))  # all stub_windows reads
    result = LoadResult(
        series=(),
        faults=(FaultEvent("flaky-503", "applied", 3.0, 3.02), FaultEvent("flaky-503", "removed", 9.0, 9.01)),
        started_at="2026-01-01T12:00:00.000Z",
        ended_at="2026-01-01T12:00:12.000Z",
        duration=12.0,
        interrupted=False,
        locust_version="2",
    )
    (window,) = stub_windows(scenario, result)["flaky"]
    # the chaos may answer from the moment the switch starts (3.00 s), before it returns (3.02 s)
    assert window_of(call(3.001), [window]) == "flaky-503"
    assert window_of(call(9.009), [window]) == "flaky-503"
    assert window_of(call(2.9), [window]) is None and window_of(call(9.1), [window]) is None
