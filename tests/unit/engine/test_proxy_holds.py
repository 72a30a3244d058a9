"""Which Toxiproxy proxies a container fault on a Kubernetes stack holds shut (pure parts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envsim.config import load_profile
from envsim.engine.kubernetes.pod_faults import (
    DELETE_POD,
    NOTHING,
    REPLACE_POD,
    SCALE_BACK,
    SCALE_TO_ZERO,
    removes_pods,
)
from envsim.engine.kubernetes.proxy_holds import ProxyHolds
from envsim.plan.stack import plan_stack

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def plan():
    return plan_stack(load_profile(REPO / "profiles/prod-like.yaml", {}), stack_name="holds")


def test_kill_stop_and_restart_leave_the_service_without_a_pod_and_start_does_not():
    assert all(removes_pods(op) for op in (DELETE_POD, SCALE_TO_ZERO, REPLACE_POD))
    assert not any(removes_pods(op) for op in (SCALE_BACK, NOTHING))


def test_the_proxies_held_for_a_service_are_those_in_front_of_it(plan):
    (toxiproxy,) = plan.toxiproxies
    holds = ProxyHolds(plan, {toxiproxy.name: "http://127.0.0.1:1"}, ready=lambda service: True)
    assert holds.proxies("cache") == [("http://127.0.0.1:1", "cache-redis")]
    assert holds.proxies("db") == [("http://127.0.0.1:1", "db-pg")]


def test_a_proxy_whose_toxiproxy_envsim_cannot_reach_is_left_alone(plan):
    holds = ProxyHolds(plan, {}, ready=lambda service: True)
    assert holds.proxies("cache") == []
