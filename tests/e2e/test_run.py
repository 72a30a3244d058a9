"""`envsim run` on the example shop: faults measured on time, verdicts, reports, interrupts."""

from __future__ import annotations

import json
import signal
import urllib.request
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from e2e_support import NOTHING_LEFT, interrupt, leftovers, wait_for

LAG_PROFILE = """
envsim: 1
name: lag
extends: prod-like
failure_modes:
  db-lag: {target: db, latency: 200ms}
"""


def _scenario(project, name: str, body: str) -> str:
    (project / "profiles" / "lag.yaml").write_text(LAG_PROFILE, encoding="utf-8")
    path = project / "scenarios" / f"{name}.yaml"
    path.write_text(body, encoding="utf-8")
    return str(path)


def _p50(journal, phase: str) -> float:
    from envsim.verdict.metrics import points_for, window_stats
    from envsim.verdict.phases import resolve_phase

    stats = window_stats(points_for(journal, ("browse",)), resolve_phase(journal, phase).intervals)
    assert stats.requests > 20, (phase, stats.requests)
    return stats.percentile(0.5)


@pytest.mark.alone  # compares a fault window's p50 with the baseline's to 50 ms
def test_latency_fault_shows_in_its_phase_only_and_a_failing_check_fails(
    cli, engine, project, stack_name, remove_stacks
):
    from envsim.journal import Journal

    remove_stacks.append(stack_name)
    scenario = _scenario(
        project,
        "lag",
        """
envsim: 1
profile: lag
load:
  target: api
  users: 4
  spawn_rate: 4
  duration: 15s
  wait: [50ms, 100ms]
  tasks:
    - {name: browse, request: "GET /products/db"}
timeline:
  - {at: 5s, for: 5s, fault: db-lag}
checks:
  - {metric: p50, endpoint: browse, during: db-lag, above: 180ms}
  - {metric: p95, below: 1ms}          # designed to fail: nothing answers in under 1ms
reports: {dir: ../out}
""",
    )
    result = cli.run("run", scenario, "--name", stack_name)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    out = project / "out"
    journal = Journal.read(out / "journal.json")
    assert journal.environment["engine"].startswith("docker ")  # the backend and its version

    baseline, during, after = _p50(journal, "baseline"), _p50(journal, "during:db-lag"), _p50(journal, "after:db-lag")
    assert during - baseline >= 0.18, (baseline, during)
    assert after - baseline < 0.05, (baseline, after)
    applied = next(e for e in journal.faults if e.action == "applied")
    assert abs(applied.actual - applied.scheduled) < 1.0

    # JUnit names the failing check with the measured value and the bound.
    suite = ElementTree.parse(out / "junit.xml").getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    failing = [case for case in cases.values() if case.find("failure") is not None]
    assert len(cases) == 2 and len(failing) == 1
    message = failing[0].find("failure").get("message")
    assert "p95" in failing[0].get("name") and "1ms" in message and "measured" in message

    # A saved journal re-judged gives the same verdict.
    rejudged = cli.run("verdict", str(out / "journal.json"), "--reports", str(project / "again"))
    assert rejudged.returncode == 1
    first = json.loads((out / "verdict.json").read_text())
    second = json.loads((project / "again" / "verdict.json").read_text())
    assert first == second

    # The run started the stack, so it removed it.
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_interrupted_run_reverts_its_faults_and_keeps_a_stack_it_did_not_start(
    cli, engine, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    scenario = _scenario(
        project,
        "long",
        """
envsim: 1
profile: lag
load:
  target: api
  users: 2
  spawn_rate: 2
  duration: 5m
  tasks:
    - {name: browse, request: "GET /products/db"}
timeline:
  - {at: 1s, fault: db-lag}
checks:
  - {metric: error_rate, below: 1%}
reports: {dir: ../out}
""",
    )
    up = cli.run("up", "lag", "--name", stack_name)
    assert up.returncode == 0, up.stderr
    (status,) = json.loads(cli.run("status", "--name", stack_name, "--json").stdout)
    api = status["toxiproxy_urls"][0]

    def toxics() -> list[str]:
        with urllib.request.urlopen(f"{api}/proxies/db-pg/toxics", timeout=5) as response:
            return [toxic["name"] for toxic in json.loads(response.read())]

    process = cli.start("run", scenario, "--name", stack_name, "--no-up")
    wait_for(toxics, timeout=60, what="the db-lag toxic")
    code, stdout, stderr = interrupt(process, signal.SIGINT)
    assert code == 130, stderr
    assert toxics() == []
    assert leftovers(engine, stack_name)["containers"] == 4  # a stack the run did not start stays
    journal = json.loads((project / "out" / "journal.json").read_text())
    assert journal["interrupted"] is True

    # The generated password is used by the stack but appears in nothing envsim wrote or printed.
    state = Path(cli.env["ENVSIM_STATE_DIR"]) / "stacks" / stack_name / "secrets.json"
    password = json.loads(state.read_text())["db_password"]
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    written = [p.read_text() for p in (project / "out").iterdir()]
    for text in [stdout, stderr, up.stdout, up.stderr, *written]:
        assert password not in text
    assert cli.run("down", "--name", stack_name).returncode == 0
    assert leftovers(engine, stack_name) == NOTHING_LEFT
