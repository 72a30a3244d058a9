"""An interrupted run reverts an HTTP fault held in the HAProxy in front of a real service, and
leaves no container of a stack it started."""

from __future__ import annotations

import http.client
import signal
from collections import Counter

import pytest
from e2e_support import NOTHING_LEFT, interrupt, leftovers, ok_web_profile, wait_for

from envsim.engine.haproxy_runtime import HaproxyRuntime, RuntimeApiError

PROFILE = ok_web_profile("realhttp", "failure_modes:\n  web-flaky: {target: web, http_errors: {503: 50%}}\n")
SCENARIO = """envsim: 1
profile: realhttp
load:
  target: web
  users: 2
  spawn_rate: 2
  duration: 90s
  wait: [50ms, 100ms]
  tasks: [{name: get, request: "GET /"}]
timeline:
  - {at: 1s, for: 80s, fault: web-flaky}
checks: [{metric: error_rate, below: 90%}]
"""


def _switch_on(engine, stack: str) -> bool | None:
    """Whether web-flaky's switch is on in the stack's HAProxy; None while there is none."""
    flt = {"label": [f"envsim.stack={stack}", "envsim.role=balancer"]}
    for container in engine.containers.list(filters=flt, ignore_removed=True):
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get("9999/tcp")
        if bindings:
            try:
                return HaproxyRuntime(f"127.0.0.1:{bindings[0]['HostPort']}").switches().get("web-flaky")
            except RuntimeApiError:  # published before HAProxy listens, while the stack starts
                return None
    return None


def _statuses(engine, stack: str, count: int) -> Counter:
    flt = {"label": [f"envsim.stack={stack}", "envsim.role=toxiproxy"]}
    (toxiproxy,) = engine.containers.list(filters=flt)
    port = int(toxiproxy.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostPort"])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    seen: Counter = Counter()
    for _ in range(count):
        connection.request("GET", "/")
        answer = connection.getresponse()
        answer.read()
        seen[answer.status] += 1
    connection.close()
    return seen


@pytest.fixture
def realhttp(project):
    (project / "profiles" / "realhttp.yaml").write_text(PROFILE)
    (project / "scenarios" / "flaky.yaml").write_text(SCENARIO)
    return project


def test_an_interrupted_run_turns_the_haproxy_fault_off_on_a_kept_stack(
    engine, cli, realhttp, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    assert cli.run("up", "realhttp", "--name", stack_name).returncode == 0
    process = cli.start("run", "scenarios/flaky.yaml", "--name", stack_name, "--no-up")
    wait_for(lambda: _switch_on(engine, stack_name), what="the fault's switch on in HAProxy")
    assert 0 < _statuses(engine, stack_name, 200)[503] < 200  # the fault is in effect
    code, _, stderr = interrupt(process, signal.SIGINT)
    assert code == 130, stderr[-2000:]
    assert _switch_on(engine, stack_name) is False  # the stack runs on, the fault is off
    assert _statuses(engine, stack_name, 300) == Counter({200: 300})
    assert cli.run("down", "realhttp", "--name", stack_name).returncode == 0
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_an_interrupted_run_removes_the_haproxy_of_a_stack_it_started(engine, cli, realhttp, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    process = cli.start("run", "scenarios/flaky.yaml", "--name", stack_name)
    wait_for(lambda: _switch_on(engine, stack_name), timeout=240, what="the fault's switch on in HAProxy")
    code, _, stderr = interrupt(process, signal.SIGTERM)
    assert code == 130, stderr[-2000:]
    assert leftovers(engine, stack_name) == NOTHING_LEFT
