"""envsim.api without an engine: every public name resolves, and loading and planning work."""

from __future__ import annotations

import shutil
import types
from pathlib import Path

import pytest

import envsim.api as envsim

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", envsim.__all__)
def test_every_public_name_is_the_object_not_a_module(name):
    # a submodule named like a function (api/stacks.py beside api.stacks()) would shadow it
    assert not isinstance(getattr(envsim, name), types.ModuleType)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        envsim.nothing_here  # noqa: B018


@pytest.fixture
def repo(tmp_path, monkeypatch):
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_plan_of_a_profile_has_its_stack_and_every_failure_mode(repo):
    resolved = envsim.plan("prod-like", name="pr-7")
    assert isinstance(resolved, envsim.ProfilePlan)
    assert resolved.stack.stack == "pr-7"
    assert {f.name for f in resolved.faults} == {
        "db-slow",
        "db-down",
        "cache-down",
        "db-bandwidth",
        "db-resets",
        "api-restart",
        "api-pause",
    }


def test_plan_of_a_scenario_and_load_overrides(repo):
    scenario = envsim.load_scenario(repo / "scenarios" / "checkout.yaml", users=3, duration="12s")
    assert (scenario.load.users, scenario.load.duration, scenario.load.stages) == (3, 12.0, ())
    resolved = envsim.plan(scenario)
    assert isinstance(resolved, envsim.ScenarioPlan)
    assert all(step.end <= 12.0 for step in resolved.timeline)


@pytest.mark.parametrize("kwargs, message", [({"duration": "soon"}, "is not a duration"), ({"users": 0}, "users")])
def test_bad_overrides_are_input_errors(repo, kwargs, message):
    with pytest.raises(envsim.InputError, match=message):
        envsim.load_scenario(repo / "scenarios" / "checkout.yaml", **kwargs)


def test_a_missing_profile_is_an_input_error_with_exit_code_2(repo):
    with pytest.raises(envsim.InputError) as caught:
        envsim.load_profile("no-such-profile")
    assert caught.value.exit_code == 2


def test_a_journal_that_is_not_one_is_an_input_error(repo):
    (repo / "j.json").write_text("[1, 2]")
    with pytest.raises(envsim.InputError, match="j.json: not a valid envsim journal"):
        envsim.read_journal(repo / "j.json")
