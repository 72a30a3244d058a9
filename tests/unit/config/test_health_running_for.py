"""`health: {running_for: ...}`: a service without a probe, ready once it kept running that long."""

from __future__ import annotations

from config_helpers import profile_messages, write

from envsim.config import load_profile
from envsim.plan.render import stack_to_dict, stack_to_text
from envsim.plan.stack import plan_stack

PROFILE = """
envsim: 1
services:
  worker:
    image: worker:1
    health: {running_for: 5s}
  cache:
    image: redis:7
"""


def test_running_for_is_a_health_check_without_a_probe(repo):
    profile = load_profile(write(repo, "profiles/p.yaml", PROFILE), {})
    worker, cache = (next(s for s in profile.services if s.name == name) for name in ("worker", "cache"))
    assert (worker.health.kind, worker.health.running_for) == ("running", 5.0)
    assert cache.health is None  # the engine's default grace period applies
    plan = plan_stack(profile)
    assert "health   keeps running for 5s" in stack_to_text(plan)
    worker_plan = next(c for c in stack_to_dict(plan)["containers"] if c["service"] == "worker")
    assert worker_plan["health"] == {"kind": "running", "running_for": 5.0}


def test_running_for_cannot_be_combined_with_a_probe(repo):
    found = profile_messages(repo, PROFILE.replace("{running_for: 5s}", "{running_for: 5s, http: /healthz}"))
    assert "profiles/p.yaml:5:5: services.worker.health: only one of 'running_for', 'http' may be given" in found
