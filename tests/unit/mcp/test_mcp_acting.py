"""The acting tools through the SDK's in-memory client, where no container starts: their
listing and descriptions, and inputs refused with the CLI's messages before anything runs.
(The tools against a running stack: tests/e2e/test_mcp_tools_live.py, test_mcp_acting.py.)
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import anyio
import pytest
from mcp import Client

from envsim.mcp.acting_tools import ACTING_TOOLS
from envsim.mcp.server import build_server
from envsim.mcp.tool_calls import in_thread

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def app_repo(tmp_path: Path) -> Path:
    for part in ("profiles", "scenarios", "examples"):
        shutil.copytree(REPO / part, tmp_path / part)
    return tmp_path


def call(root: Path, tool: str, arguments: dict, env: dict | None = None):
    async def main():
        async with Client(build_server(root, env=env or {"ENVSIM_STATE_DIR": str(root / ".state")})) as client:
            return await client.call_tool(tool, arguments)

    return anyio.run(main)


def test_acting_tools_are_listed_and_say_when_they_start_containers(app_repo):
    async def main():
        async with Client(build_server(app_repo, env={})) as client:
            return (await client.list_tools()).tools

    tools = {t.name: t for t in anyio.run(main)}
    assert set(ACTING_TOOLS) <= set(tools)
    assert "STARTS CONTAINERS" in tools["up"].description
    assert "MAY START CONTAINERS" in tools["run_scenario"].description
    for name in ("status", "fault_apply", "fault_clear", "down"):
        assert "START" not in tools[name].description.split("\n")[0].upper().replace("STARTS NOTHING", "")
    assert tools["down"].annotations.destructive_hint is True
    assert tools["status"].annotations.read_only_hint is True
    assert not tools["up"].annotations.read_only_hint
    assert set(tools["run_scenario"].input_schema["properties"]) == {"path", "users", "duration", "name"}
    assert tools["run_scenario"].input_schema["required"] == ["path"]
    assert "ctx" not in tools["up"].input_schema["properties"]


def test_up_with_an_unknown_profile_is_the_cli_error(app_repo):
    result = call(app_repo, "up", {"profile": "nope"})
    assert result.is_error
    text = result.content[0].text
    assert "no profile named 'nope'" in text and "profiles here: base, " in text and "prod-like)" in text


def test_up_refuses_a_path_outside_the_repo(app_repo):
    result = call(app_repo, "up", {"profile": "../elsewhere/p.yaml"})
    assert result.is_error
    assert "profile: ../elsewhere/p.yaml is outside the repo" in result.content[0].text


def test_run_scenario_with_a_wrong_path_names_the_file(app_repo):
    result = call(app_repo, "run_scenario", {"path": "scenarios/missing.yaml"})
    assert result.is_error
    assert result.content[0].text.endswith("scenarios/missing.yaml:1:1: (top): file not found")
    outside = call(app_repo, "run_scenario", {"path": "/etc/passwd"})
    assert "outside the repo" in outside.content[0].text


def test_run_scenario_with_an_invalid_file_gives_file_line_col(app_repo):
    (app_repo / "scenarios" / "broken.yaml").write_text("envsim: 1\nname: broken\nprofile: prod-like\nload: 3\n")
    result = call(app_repo, "run_scenario", {"path": "scenarios/broken.yaml"})
    assert result.is_error
    text = result.content[0].text.removeprefix("Error executing tool run_scenario: ")
    assert text.startswith("scenarios/broken.yaml:")
    line, col = text.split(":")[1:3]
    assert line.isdigit() and col.isdigit()


def test_run_scenario_refuses_bad_load_overrides_before_anything_starts(app_repo):
    result = call(app_repo, "run_scenario", {"path": "scenarios/checkout.yaml", "duration": "soon"})
    assert result.is_error and "--duration: 'soon' is not a duration" in result.content[0].text
    result = call(app_repo, "run_scenario", {"path": "scenarios/checkout.yaml", "users": 0})
    assert result.is_error and "--users: 0 is not a number of users" in result.content[0].text


def test_down_and_status_refuse_a_name_that_is_not_a_stack_name(app_repo):
    for tool in ("down", "status"):
        result = call(app_repo, tool, {"name": "../x; rm -rf /"})
        assert result.is_error
        assert "is not a stack name" in result.content[0].text


def test_fault_apply_without_a_running_stack_says_so(app_repo):
    result = call(app_repo, "fault_apply", {"fault": "db-slow", "name": "never-started-mcp-unit"})
    assert result.is_error


def test_in_thread_reports_progress_and_cancel_sets_the_event():
    seen: list = []
    started, stopped = threading.Event(), threading.Event()

    class FakeContext:
        async def report_progress(self, progress, total=None, message=None):
            seen.append((progress, total, message))

    def work(cancel: threading.Event, emit):
        emit(1, 2, "one")
        started.set()
        cancel.wait(10)
        stopped.set()  # the worker's clean-up ran before the cancellation went on
        return "done"

    async def main():
        with anyio.move_on_after(0.5):
            await in_thread(FakeContext(), work)
        return stopped.is_set()

    assert anyio.run(main) is True
    assert started.is_set() and seen == [(1, 2, "one")]


def test_a_run_whose_files_hit_a_full_disk_keeps_its_verdict_and_says_what_was_not_written(tmp_path):
    from envsim.api.runs import RunResult
    from envsim.errors import EnvironmentProblem
    from envsim.journal import Journal
    from envsim.mcp.acting import run_summary
    from envsim.mcp.workspace import Workspace
    from envsim.verdict import judge

    journal = Journal(
        run_id="r1",
        started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:00:10Z",
        duration=10.0,
        profile="p",
        scenario="s",
        profile_digest="d",
        scenario_digest="d",
        environment={},
        planned_timeline=(),
        checks=(),
    )
    problem = EnvironmentProblem(f"no space left on the disk holding {tmp_path}/reports: the journal was kept")
    summary = run_summary(
        Workspace(tmp_path, env={}), RunResult(journal, judge(journal), tmp_path / "j.json", (), write_problem=problem)
    )
    assert summary["verdict"] == "passed"
    assert summary["write_problem"] == str(problem)
    assert "write_problem" not in run_summary(Workspace(tmp_path, env={}), RunResult(journal, judge(journal), None, ()))


def test_a_run_summary_says_why_a_latency_check_was_slow(tmp_path):
    from envsim.api.runs import RunResult
    from envsim.config.check_kinds import MetricCheck
    from envsim.journal import ALL_ENDPOINTS, Journal, StatsPoint
    from envsim.mcp.acting import run_summary
    from envsim.mcp.workspace import Workspace
    from envsim.verdict import judge

    series = tuple(
        point
        for t in range(5)
        for point in (StatsPoint(t, "lookup", 4, 0, ((900, 4),)), StatsPoint(t, ALL_ENDPOINTS, 4, 0, ((900, 4),)))
    )
    plan = ["Seq Scan on invoices", "  Filter: (customer_id = $1)"]
    journal = Journal(
        run_id="r1",
        started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:00:05Z",
        duration=5.0,
        profile="p",
        scenario="s",
        profile_digest="d",
        scenario_digest="d",
        environment={},
        planned_timeline=(),
        checks=(MetricCheck("p95", "below", 0.1), MetricCheck("error_rate", "below", 0.01)),
        series=series,
        extra={
            "slow_statements": [{"service": "db", "statements": [{"query": "SELECT $1", "calls": 1}], "plan": plan}]
        },
    )
    summary = run_summary(Workspace(tmp_path, env={}), RunResult(journal, judge(journal), None, ()))
    (failed,) = summary["failed_checks"]
    assert failed["label"] == "p95 < 100ms"
    assert "    Seq Scan on invoices" in failed["why_slow"] and "      Filter: (customer_id = $1)" in failed["why_slow"]
