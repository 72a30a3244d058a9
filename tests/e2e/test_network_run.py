"""Link and DNS faults through the CLI on the example shop: scenarios/network-namespace.yaml passes with
each fault's effect shown by its check, and an interrupted run leaves no helper and no rule."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

from e2e_support import NOTHING_LEFT, interrupt, leftovers, wait_for

REPO = Path(__file__).resolve().parents[2]

LONG_LOSS = """
envsim: 1
profile: network-namespace
load:
  target: api
  users: 2
  spawn_rate: 2
  duration: 2m
  tasks: [{name: browse, request: "GET /products"}]
timeline:
  - {at: 1s, for: 100s, fault: api-lossy}
checks: [{metric: error_rate, below: 50%}]
reports: {dir: ../out}
"""


def _helpers(engine, stack: str, status: str | None = None) -> list:
    flt: dict = {"label": [f"envsim.stack={stack}", "envsim.role=net-helper"]}
    if status:
        flt["status"] = status
    return engine.containers.list(all=True, filters=flt, ignore_removed=True)


def _api_rules(engine, stack: str) -> list[str]:
    """Link-fault chains and qdiscs in the api containers' network namespaces."""
    from envsim.plan.faults import NET_HELPER_IMAGE

    found = []
    flt = {"label": [f"envsim.stack={stack}", "envsim.service=api", "envsim.role=service"]}
    for container in engine.containers.list(filters=flt):
        shown = engine.containers.run(
            NET_HELPER_IMAGE,
            ["sh", "-c", "iptables -S; iptables -t nat -S; tc qdisc show"],
            network_mode=f"container:{container.id}",
            cap_add=["NET_ADMIN"],
            remove=True,
        ).decode()
        found += [line for line in shown.splitlines() if "envsim" in line or " tbf " in line or " netem " in line]
    return found


def test_the_network_scenario_passes_with_each_link_fault_shown(cli, engine, project, stack_name, remove_stacks):
    from envsim.journal import Journal

    remove_stacks.append(stack_name)
    shutil.copy(REPO / "scenarios" / "network-namespace.yaml", project / "scenarios" / "network-namespace.yaml")
    result = cli.run("run", "scenarios/network-namespace.yaml", "--name", stack_name, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "fault api-lossy applied (" in result.stdout
    journal = Journal.read(project / "reports" / "network-namespace" / "journal.json")
    mechanisms = {e.fault: e.detail for e in journal.faults if e.action == "applied"}
    assert mechanisms["api-lossy"] in ("iptables statistic", "netem")
    assert mechanisms["api-narrow"] in ("tbf", "netem")
    assert mechanisms["payments-unresolvable"] == "dnsmasq nxdomain"
    assert mechanisms["payments-slow-dns"] == "dnsmasq delay 1s"
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_an_interrupted_run_leaves_no_helper_and_no_rule_on_a_stack_it_keeps(
    cli, engine, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    up = cli.run("up", "network-namespace", "--name", stack_name)
    assert up.returncode == 0, up.stderr[-2000:]
    (project / "scenarios" / "loss.yaml").write_text(LONG_LOSS, encoding="utf-8")
    process = cli.start("run", "scenarios/loss.yaml", "--no-up", "--name", stack_name)
    wait_for(lambda: _helpers(engine, stack_name, "running"), timeout=120, what="a running network helper")
    assert _api_rules(engine, stack_name), "the helper put no rule in place"
    code, _, stderr = interrupt(process, signal.SIGINT)
    assert code == 130, stderr[-2000:]
    assert _helpers(engine, stack_name) == []
    assert _api_rules(engine, stack_name) == []
    down = cli.run("down", "network-namespace", "--name", stack_name)
    assert down.returncode == 0
    assert leftovers(engine, stack_name) == NOTHING_LEFT
