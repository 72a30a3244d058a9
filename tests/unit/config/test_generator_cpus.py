"""`load.cpus` / `--generator-cpus`: cores this machine has, and at least one left to the stack."""

from __future__ import annotations

import pytest
from config_helpers import scenario_messages

from envsim.api.loading import with_load_overrides
from envsim.config.generator_cpus import cpu_problem, machine_cpus, parse_cpus, stack_cpus
from envsim.config.scenario_model import LoadSpec, LoadStage
from envsim.errors import InputError

SCENARIO = """
envsim: 1
profile: prod-like
load:
  duration: 3m
  cpus: {cpus}
  tasks:
    - {{name: browse, request: "GET /products"}}
"""


def test_a_core_the_machine_lacks_is_a_located_error(repo):
    cores = ", ".join(map(str, machine_cpus()))
    assert scenario_messages(repo, SCENARIO.format(cpus="[0, 999]")) == [
        f"scenarios/s.yaml:5:13: load.cpus[1]: core 999 is not one this machine offers (cores: {cores})"
    ]


def test_every_core_for_the_generator_leaves_none_for_the_stack(repo):
    every = list(machine_cpus())
    assert scenario_messages(repo, SCENARIO.format(cpus=every)) == [
        f"scenarios/s.yaml:5:10: load.cpus[0]: pins the load generator to every core ({len(every)}); "
        "leave at least one for the stack"
    ]


def test_the_schema_wants_a_list_of_distinct_core_numbers(repo):
    (message,) = scenario_messages(repo, SCENARIO.format(cpus="[0, 0]"))
    assert message.startswith("scenarios/s.yaml:5:9: load.cpus:")
    assert scenario_messages(repo, SCENARIO.format(cpus="[0]")) == []


def test_rules_on_plain_data():
    assert cpu_problem(0, (0,), (0, 1)) is None
    assert cpu_problem(2, (2,), (0, 1)) == "core 2 is not one this machine offers (cores: 0, 1)"
    assert "every core (2)" in (cpu_problem(0, (0, 1), (0, 1)) or "")
    assert stack_cpus((0,), (0, 1, 2, 3)) == (1, 2, 3)
    assert parse_cpus("0") == (0,) and parse_cpus("0,2") == (0, 2) and parse_cpus("1-3") == (1, 2, 3)
    for bad in ("", "a", "3-1", "0,,1"):
        with pytest.raises(ValueError):
            parse_cpus(bad)


def test_the_command_line_override_is_checked_the_same_way(repo):
    from envsim.api import load_scenario

    scenario = load_scenario(repo / "scenarios/checkout.yaml")
    assert with_load_overrides(scenario, generator_cpus="0").load.cpus == (0,)
    with pytest.raises(InputError, match=r"--generator-cpus: core 999 is not one this machine offers"):
        with_load_overrides(scenario, generator_cpus="999")
    with pytest.raises(InputError, match=r"--generator-cpus: 'x' is not a list of cores"):
        with_load_overrides(scenario, generator_cpus="x")


def test_asked_users_follow_the_ramp_and_the_stages():
    ramp = LoadSpec(users=20, spawn_rate=10, duration=30)
    assert [ramp.users_at(t) for t in (0, 0.5, 1, 2, 29)] == [0, 5, 10, 20, 20]
    stages = LoadSpec(users=20, spawn_rate=10, duration=0, stages=(LoadStage(5, 10, 5), LoadStage(5, 4, 100)))
    assert [stages.users_at(t) for t in (1, 2, 4, 5.05, 6, 30)] == [5, 10, 10, 5, 4, 4]
