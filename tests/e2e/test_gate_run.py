"""Several scenarios as one release gate: each verdict, one combined verdict and exit code, one
JUnit file with a test suite per scenario, and every input problem before anything starts."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from e2e_support import NOTHING_LEFT, leftovers

PASSING = """
envsim: 1
profile: base
load: {target: api, users: 2, spawn_rate: 2, duration: 4s, tasks: [{name: browse, request: "GET /products"}]}
checks: [{metric: error_rate, below: 50%}]
"""
FAILING = """
envsim: 1
profile: base
load: {target: api, users: 2, spawn_rate: 2, duration: 4s, tasks: [{name: browse, request: "GET /products"}]}
checks: [{metric: p95, below: 1ms}]   # nothing answers in under 1ms
"""


def test_a_gate_of_two_scenarios_fails_when_one_fails(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    (project / "scenarios" / "gate-a.yaml").write_text(PASSING)
    (project / "scenarios" / "gate-b.yaml").write_text(FAILING)
    done = cli.run("run", "scenarios/gate-a.yaml", "scenarios/gate-b.yaml", "--name", stack_name, "--reports", "out")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[1/2] scenario gate-a" in done.stdout and "[2/2] scenario gate-b" in done.stdout
    assert "  PASSED  gate-a" in done.stdout and "  FAILED  gate-b" in done.stdout
    assert "gate: FAILED (1/2 scenarios passed)" in done.stdout
    suites = ElementTree.parse(project / "out" / "junit.xml").getroot().findall("testsuite")
    assert [(s.get("name"), s.get("failures")) for s in suites] == [("envsim.gate-a", "0"), ("envsim.gate-b", "1")]
    assert (project / "out" / "gate-a" / "journal.json").exists() and (
        project / "out" / "gate-b" / "report.html"
    ).exists()
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_every_scenario_of_a_gate_is_checked_before_any_starts(cli, engine, project, stack_name):
    (project / "scenarios" / "gate-a.yaml").write_text(PASSING.replace("users: 2", "users: x"))
    (project / "scenarios" / "gate-b.yaml").write_text(FAILING.replace("profile: base", "profile: nope"))
    done = cli.run("run", "scenarios/gate-a.yaml", "scenarios/gate-b.yaml", "--name", stack_name)
    assert done.returncode == 2, done.stderr
    assert "gate-a.yaml:4:" in done.stderr and "gate-b.yaml:3:" in done.stderr
    assert "Traceback" not in done.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT  # nothing was started
