"""A run on a real stub with a 10% 503 fault for part of its load: the journal counts the
stub's calls apart per fault window, so the fault's effect is measured where it happened
(10% ± 3% inside the window, no 503 outside it) and the reports print it."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.alone  # counts the stub's calls in a fault window against a floor: a busy machine sends fewer

PROFILE = {
    "envsim": 1,
    "name": "stubwindow",
    "services": {
        "flaky": {"stub": {"routes": [{"method": "GET", "path": "/ping", "body": "pong"}]}, "publish": ["http"]}
    },
    "failure_modes": {"flaky-503": {"target": "flaky", "http_errors": {"503": "10%"}}},
}
SCENARIO = {
    "envsim": 1,
    "name": "stubwindow",
    "profile": "stubwindow",
    "load": {
        "target": "flaky",
        "users": 4,
        "spawn_rate": 4,
        "duration": "12s",
        "wait": ["5ms", "15ms"],
        "tasks": [{"name": "ping", "request": "GET /ping"}],
    },
    "timeline": [{"at": "3s", "for": "6s", "fault": "flaky-503"}],
    "checks": [{"metric": "error_rate", "below": "50%"}],
}


def test_the_stubs_calls_are_counted_per_fault_window_and_the_fault_shows_only_inside_it(
    tmp_path, docker_client, prepared_images
):
    from envsim.api import run
    from envsim.reports.markdown import render_markdown

    (tmp_path / ".git").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "profiles/stubwindow.yaml").write_text(json.dumps(PROFILE))
    (tmp_path / "scenarios/stubwindow.yaml").write_text(json.dumps(SCENARIO))
    env = {"ENVSIM_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"}
    name = f"it-window-{uuid.uuid4().hex[:8]}"

    result = run(tmp_path / "scenarios/stubwindow.yaml", name=name, env=env, write=False)

    rows = result.journal.extra["stub_calls"]
    inside = [r for r in rows if r.get("during") == "flaky-503"]
    outside = [r for r in rows if not r.get("during")]
    calls_inside = sum(r["count"] for r in inside)
    errors_inside = sum(r["count"] for r in inside if r["status"] == 503)
    print(f"\n{rows}")
    assert calls_inside >= 500, rows
    assert 0.07 <= errors_inside / calls_inside <= 0.13, rows
    assert sum(r["count"] for r in outside) >= 500, rows
    assert {r["status"] for r in outside} == {200}, rows  # before and after the window: no fault
    assert f"during flaky-503: {calls_inside} calls, 503 x {errors_inside}" in render_markdown(
        result.journal, result.verdict
    )
    leftover = docker_client.containers.list(all=True, filters={"label": f"envsim.stack={name}"})
    assert leftover == []
