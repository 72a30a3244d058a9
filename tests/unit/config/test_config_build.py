"""Building the frozen model: units, Toxiproxy attributes, normalised endpoints, labels, defaults."""

from __future__ import annotations

import dataclasses

import pytest
from config_helpers import MINIMAL_PROFILE, write

from envsim.config import load_any, load_profile, load_scenario, resolve_profile_path
from envsim.config.check_kinds import HttpInvariant, MetricCheck, RecoveryCheck, SqlInvariant
from envsim.config.fault_kinds.container import ContainerFault
from envsim.config.fault_kinds.down import ProxiesDown
from envsim.config.profile_model import Profile
from envsim.config.scenario_model import Scenario
from envsim.errors import InputError


def modes(repo, text):
    path = write(repo, "profiles/p.yaml", MINIMAL_PROFILE + "failure_modes:\n" + text)
    return {m.name: m for m in load_profile(path, {}).failure_modes}


def test_toxic_attributes_follow_toxiproxy_units(repo):
    found = modes(
        repo,
        """
  lat: {target: api, latency: 1.5s, jitter: 20ms, toxicity: 50%}
  bw: {target: api, bandwidth: 64k}
  hang: {target: api, timeout: 5s}
  reset: {target: api, reset_peer: 0s}
  close: {target: api, slow_close: 2s}
  slice: {target: api, slicer: {average_size: 64, size_variation: 32, delay: 1ms}}
  limit: {target: api, limit_data: 1k}
  both: {target: api, latency: 100, direction: both}
""",
    )
    assert [(t.type, t.attributes, t.stream, t.toxicity) for t in found["lat"].effects] == [
        ("latency", (("latency", 1500), ("jitter", 20)), "downstream", 0.5)
    ]
    assert found["bw"].effects[0].attributes == (("rate", 64),)
    assert found["hang"].effects[0].attributes == (("timeout", 5000),)
    assert (found["reset"].effects[0].type, found["reset"].effects[0].attributes) == ("reset_peer", (("timeout", 0),))
    assert found["close"].effects[0].attributes == (("delay", 2000),)
    assert found["slice"].effects[0].attributes == (("average_size", 64), ("size_variation", 32), ("delay", 1000))
    assert found["limit"].effects[0].attributes == (("bytes", 1024),)
    assert [t.stream for t in found["both"].effects] == ["downstream", "upstream"]
    assert found["both"].effects[0].attributes == (("latency", 100000), ("jitter", 0))


def test_other_failure_kinds(repo):
    path = write(
        repo,
        "profiles/p.yaml",
        MINIMAL_PROFILE
        + """  pay: {stub: {routes: [{method: GET, path: /}]}}
failure_modes:
  down: {target: api, down: true}
  crash: {target: api, container: pause}
  flaky: {target: pay, http_errors: {"429": 0.1}, retry_after: 2s}
  gone: {target: pay, outage: true}
  slow: {target: pay, drop: 5%, slow_body: {chunk: 16, delay: 100ms}}
""",
    )
    profile = load_profile(path, {})
    assert profile.failure_mode("down").effects == (ProxiesDown(),)
    assert profile.failure_mode("crash").effects == (ContainerFault("pause"),)
    [errors] = profile.failure_mode("flaky").effects
    assert errors.rates == ((429, 0.1),) and errors.retry_after == 2.0
    assert profile.failure_mode("gone").effects[0].outage is True
    [slow] = profile.failure_mode("slow").effects
    assert (slow.rates, slow.drop, slow.slow_body) == ((), 0.05, (16, 0.1))
    assert profile.service("pay").ports == (("http", 8080),)  # a stub's implicit port


def test_profile_name_defaults_to_file_name_and_model_is_frozen(repo):
    profile = load_profile(write(repo, "profiles/edge.yaml", MINIMAL_PROFILE), {})
    assert profile.name == "edge" and profile.root == repo.resolve()
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.name = "x"


def test_scaffold_scenario_model(repo):
    scenario = load_scenario(repo / "scenarios/checkout.yaml", {})
    assert scenario.profile.name == "prod-like"
    assert (scenario.load.target, scenario.load.target_port, scenario.load.duration) == ("api", "http", 180.0)
    assert scenario.load.wait == (0.1, 0.5)
    assert [(t.name, t.method, t.path, t.expect_status) for t in scenario.load.tasks] == [
        ("browse", "GET", "/products", ()),
        ("checkout", "POST", "/orders", (201,)),
    ]
    assert [(e.at, e.fault, e.duration) for e in scenario.timeline] == [
        (30.0, "db-slow", 30.0),
        (90.0, "cache-down", 10.0),
    ]
    assert scenario.reports_dir == (repo / "reports").resolve()


def test_checks_normalise_endpoints_phases_and_labels(repo):
    path = write(
        repo,
        "scenarios/s.yaml",
        """
    envsim: 1
    profile: prod-like
    load:
      stages: [{duration: 1m, users: 10}, {duration: 2m, users: 40, spawn_rate: 5}]
      tasks:
        - {name: browse, request: "GET /products"}
        - {name: buy, request: "POST /orders", expect: 201}
    timeline: [{at: 30s, for: 30s, fault: db-slow}]
    checks:
      - {metric: p95, endpoint: "GET /products", below: 500ms, during: db-slow}
      - {metric: p50, phase: baseline, at_most: 0.1}
      - {metric: error_rate, after: db-slow, below: 0.5%}
      - {metric: rps, above: 50}
      - {metric: recovery_time, after: db-slow, at_most: 10s}
      - sql: {service: db, query: "select count(*) from orders"}
        equals: {successes: "POST /orders"}
        tolerance: 2
      - sql: {service: db, query: "select 1"}
        at_least: 1
      - http: {service: api, request: "GET /healthz"}
    """,
    )
    scenario = load_scenario(path, {})
    assert scenario.load.duration == 180.0 and scenario.load.users == 50  # users from the profile's scale
    assert [(s.duration, s.users, s.spawn_rate) for s in scenario.load.stages] == [(60.0, 10, 10.0), (120.0, 40, 5.0)]
    assert scenario.load.tasks[1].expect_status == (201,)
    checks = scenario.checks
    assert checks[0] == MetricCheck(
        "p95", "below", 0.5, "browse", "during:db-slow", "p95 of browse < 500ms during db-slow"
    )
    assert checks[1] == MetricCheck("p50", "at_most", 0.1, None, "baseline", "p50 <= 100ms in the baseline")
    assert checks[2] == MetricCheck(
        "error_rate", "below", 0.005, None, "after:db-slow", "error_rate < 0.5% after db-slow"
    )
    assert checks[3] == MetricCheck("rps", "above", 50.0, None, "run", "rps > 50")
    assert checks[4] == RecoveryCheck("db-slow", 10.0, "recovery after db-slow <= 10s", "at_most")
    assert checks[5] == SqlInvariant(
        "db",
        "select count(*) from orders",
        "equals",
        None,
        ("successes", "buy"),
        2.0,
        "sql on db == successes of buy ± 2",
    )
    assert (checks[6].expected, checks[6].comparator) == (1.0, "at_least")
    assert checks[7] == HttpInvariant("api", "GET", "/healthz", None, 200, "GET /healthz on api -> 200")


def test_resolve_profile_path_and_load_any(repo):
    assert resolve_profile_path("prod-like", repo) == repo / "profiles/prod-like.yaml"
    write(repo, "profiles/alt.yml", MINIMAL_PROFILE)
    assert resolve_profile_path("alt", repo) == repo / "profiles/alt.yml"
    assert resolve_profile_path("profiles/alt.yml", repo) == repo / "profiles/alt.yml"
    with pytest.raises(InputError) as caught:
        resolve_profile_path("prod-lik", repo)
    assert str(caught.value.problems[0]) == (
        "prod-lik:1:1: (top): no profile named 'prod-lik': looked for "
        "profiles/prod-lik.yaml and profiles/prod-lik.yml; did you mean 'prod-like'?"
    )
    assert isinstance(load_any("prod-like", repo, {}), Profile)
    assert isinstance(load_any("scenarios/checkout.yaml", repo, {}), Scenario)
    with pytest.raises(InputError):
        load_any("scenarios/nope.yaml", repo, {})
