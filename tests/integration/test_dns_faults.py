"""DNS faults on a real container: getaddrinfo in it sees what a real resolver answers for the
faulted name, every other name resolves, and all resolves again after clearing."""

from __future__ import annotations

import json

import pytest

from envsim.config.fault_kinds.dns import DnsStep
from envsim.config.fault_kinds.net_helper import chain_name
from envsim.engine.fault_switch import StackFaults
from envsim.plan.faults import FaultPlan

pytestmark = pytest.mark.integration

# errno of socket.gaierror by what the resolver answered (glibc's EAI_* codes)
EXPECTED_ERROR = {"nxdomain": "EAI_NONAME", "servfail": "EAI_AGAIN", "no_answer": "EAI_NODATA"}

LOOKUP = """
import json, socket, sys
codes = {getattr(socket, n): n for n in ("EAI_NONAME", "EAI_AGAIN", "EAI_NODATA")}
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = socket.getaddrinfo(name, 80, socket.AF_INET)[0][4][0]
    except socket.gaierror as error:
        found[name] = codes.get(error.errno, str(error.errno))
print(json.dumps(found))
"""


@pytest.fixture
def resolving_app(run_container, test_network, prepared_images):
    """An app container on a user network (Docker's embedded DNS) with two peers to look up."""
    python = prepared_images["python:3.11-slim"]  # by id: a stand-in runs under envsim's own name
    run_container(python, network=test_network, aliases=["peer"], command=["sleep", "600"])
    run_container(python, network=test_network, aliases=["other"], command=["sleep", "600"])
    return run_container(python, network=test_network, command=["sleep", "600"])


def _lookups(app, *names: str) -> dict[str, str]:
    code, output = app.exec_run(["python3", "-c", LOOKUP, *names])
    assert code == 0, output
    return json.loads(output.decode().strip().splitlines()[-1])


@pytest.mark.parametrize("answer", ["nxdomain", "servfail", "no_answer"])
def test_the_faulted_name_gets_the_answer_and_others_resolve(docker_client, resolving_app, answer):
    app, fault = resolving_app, f"peer-{answer.replace('_', '-')}"
    step = DnsStep(app.name, f"{app.name}-dns-{fault}", chain_name(f"dns-{fault}"), "peer", answer)
    switch = StackFaults(docker_client, {fault: FaultPlan(fault, "app", (step,))}, {}, windows={fault: 60.0})
    before = _lookups(app, "peer", "other")
    assert before["peer"].count(".") == 3 and before["other"].count(".") == 3, before
    try:
        assert switch.apply(fault) == f"dnsmasq {answer}"
        during = _lookups(app, "peer", "other", "localhost")
        assert switch.active() == [fault]
    finally:
        switch.clear(fault)
    assert during == {"peer": EXPECTED_ERROR[answer], "other": before["other"], "localhost": "127.0.0.1"}
    assert _lookups(app, "peer", "other") == before
    assert switch.active() == []
    assert not docker_client.containers.list(all=True, filters={"name": step.helper})


TIMED_LOOKUP = """
import json, socket, sys, time
took = {}
for name in sys.argv[1:]:
    started = time.monotonic()
    socket.getaddrinfo(name, 80, socket.AF_INET)
    took[name] = time.monotonic() - started
print(json.dumps(took))
"""


def _lookup_times(app, *names: str) -> dict[str, float]:
    code, output = app.exec_run(["python3", "-c", TIMED_LOOKUP, *names])
    assert code == 0, output
    return json.loads(output.decode().strip().splitlines()[-1])


def test_a_delay_holds_the_named_lookup_by_about_the_delay_and_only_while_on(docker_client, resolving_app):
    app, fault, delay = resolving_app, "peer-slow", 2.0
    step = DnsStep(app.name, f"{app.name}-dns-{fault}", chain_name(f"dns-{fault}"), "peer", None, delay)
    switch = StackFaults(docker_client, {fault: FaultPlan(fault, "app", (step,))}, {}, windows={fault: 60.0})
    before = _lookup_times(app, "peer", "other")
    try:
        assert switch.apply(fault) == "dnsmasq delay 2s"
        during = _lookup_times(app, "peer", "other", "peer")
        answered = _lookups(app, "peer")
        assert switch.active() == [fault]
    finally:
        switch.clear(fault)
    after = _lookup_times(app, "peer", "other")
    assert before["peer"] < 0.5 and before["other"] < 0.5, before
    assert delay - 0.05 <= during["peer"] < delay + 0.5, during  # each lookup of the name, every time
    assert during["other"] < 0.5, during
    assert answered["peer"].count(".") == 3, answered  # the real address, late
    assert after["peer"] < 0.5 and after["other"] < 0.5, after
    assert switch.active() == []
    assert not docker_client.containers.list(all=True, filters={"name": step.helper})
