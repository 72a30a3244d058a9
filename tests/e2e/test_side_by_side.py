"""Two stacks of one profile side by side under different names, each running a scenario at
the same time: a latency fault in one shows in its measured latency only, and removing both
leaves nothing."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
from e2e_support import NOTHING_LEFT, at_once, leftovers

pytestmark = pytest.mark.alone  # compares two stacks' measured latencies against fixed bounds

PROFILE = """
envsim: 1
name: side
extends: base
failure_modes:
  db-slow: {target: db, latency: 500ms}
"""
SCENARIO = """
envsim: 1
profile: side
load:
  target: api
  users: 2
  spawn_rate: 2
  duration: 20s
  wait: [50ms, 100ms]
  tasks:
    - {name: db, request: "GET /products/db"}
TIMELINE
checks:
  - {metric: error_rate, below: 5%}
CHECK
"""
SLOWED = SCENARIO.replace("TIMELINE", "timeline:\n  - {at: 4s, for: 14s, fault: db-slow}").replace(
    "CHECK", "  - {metric: p50, during: db-slow, above: 450ms}"
)
UNTOUCHED = SCENARIO.replace("TIMELINE", "").replace("CHECK", "  - {metric: p95, below: 250ms}")


def _fault_window(journal: dict) -> tuple[float, float]:
    """The wall-clock seconds the fault was active, from its applied and cleared events."""
    start = datetime.fromisoformat(journal["started_at"].replace("Z", "+00:00")).timestamp()
    times = {event["action"]: start + event["actual"] for event in journal["faults"] if event["fault"] == "db-slow"}
    return times["applied"], times["removed"]


def _load_window(journal: dict) -> tuple[float, float]:
    return tuple(
        datetime.fromisoformat(journal[key].replace("Z", "+00:00")).timestamp() for key in ("started_at", "ended_at")
    )


def test_two_stacks_of_one_profile_run_side_by_side_without_touching_each_other(cli, engine, project, remove_stacks):
    names = {"slowed": f"e2e-a-{uuid.uuid4().hex[:6]}", "untouched": f"e2e-b-{uuid.uuid4().hex[:6]}"}
    remove_stacks.extend(names.values())
    (project / "profiles" / "side.yaml").write_text(PROFILE)
    (project / "scenarios" / "slowed.yaml").write_text(SLOWED)
    (project / "scenarios" / "untouched.yaml").write_text(UNTOUCHED)
    # up first (both at once), so that both loads start within a second or two
    for code, output in at_once(cli, *(("up", "side", "--name", name) for name in names.values()), timeout=300):
        assert code == 0, output
    runs = {
        role: cli.start("run", f"scenarios/{role}.yaml", "--no-up", "--name", name, "--reports", role)
        for role, name in names.items()
    }
    outputs = {}
    try:
        for role, run in runs.items():
            outputs[role] = run.communicate(timeout=300)
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
    for role, run in runs.items():
        assert run.returncode == 0, f"{role}: " + outputs[role][0] + outputs[role][1][-3000:]
        assert "verdict: PASSED" in outputs[role][0]
    slowed, untouched = (json.loads((project / role / "journal.json").read_text()) for role in names)
    applied, cleared = _fault_window(slowed)
    begin, end = _load_window(untouched)
    assert min(cleared, end) - max(applied, begin) > 10, "the other stack's load did not overlap the fault"
    assert untouched["faults"] == []
    downs = at_once(cli, *(("down", "side", "--name", name, "--images") for name in names.values()), timeout=300)
    for (code, output), name in zip(downs, names.values(), strict=True):
        assert code == 0, output
        assert leftovers(engine, name) == NOTHING_LEFT
