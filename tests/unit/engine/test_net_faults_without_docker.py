"""Link and DNS faults on a stack with no Docker engine (a Kubernetes stack): clearing them is
a no-op, since no helper can have been started, and applying one is an environment problem
naming it (seen: `envsim down --on kubernetes` of prod-like, which then had them, failed to revert api-lossy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsim.config import load_profile
from envsim.engine.fault_switch import StackFaults
from envsim.errors import EnvironmentProblem
from envsim.plan.faults import plan_faults
from envsim.plan.stack import plan_stack

REPO = Path(__file__).resolve().parents[3]
NET_FAULTS = ("api-lossy", "api-narrow", "cache-unresolvable")


@pytest.fixture
def faults():
    profile = load_profile(REPO / "profiles" / "network-namespace.yaml", {})
    planned = {f.name: f for f in plan_faults(plan_stack(profile, "nodocker"), profile)}
    return StackFaults(None, {name: planned[name] for name in NET_FAULTS}, {})


def test_clearing_link_and_dns_faults_without_an_engine_does_nothing(faults):
    faults.clear_all()  # raised "could not revert every fault" before
    assert faults.active() == []


def test_applying_one_without_an_engine_is_an_environment_problem(faults):
    with pytest.raises(EnvironmentProblem, match="api-lossy: link and DNS faults need the Docker engine"):
        faults.apply("api-lossy")
