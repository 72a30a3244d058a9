"""The fault-kind table (envsim.config.fault_kinds): every kind has every part, the profile
schema's failure-mode keys and the table's keys are the same, and a kind's parts agree with
each other on the repo's own profiles (written -> built -> planned -> described)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from envsim.config import load_profile
from envsim.config.fault_kinds import KINDS, by_kind, kind_of_effect, kind_of_step
from envsim.config.fault_kinds.kind import FaultKind
from envsim.plan.faults import plan_faults
from envsim.plan.stack import plan_stack

REPO = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((REPO / "envsim" / "config" / "schemas" / "profile.schema.json").read_text(encoding="utf-8"))
PROFILES = sorted((REPO / "profiles").glob("*.yaml")) + sorted((REPO / "examples").glob("*/profiles/*.yaml"))
DATA_PARTS = {"name", "keys", "triggers", "effect", "step"}
SHARED_KEYS = {"target", "from"}  # every failure mode has a target (or a partition), `from` narrows any network kind


def schema_keys(schema: dict) -> tuple[set[str], set[str]]:
    """The failure mode's fault keys (its properties but `target`) and its triggers (the keys
    its `anyOf` requires one of)."""
    mode = schema["$defs"]["failure_mode"]
    keys = set(mode["properties"]) - SHARED_KEYS
    triggers = {key for branch in mode["anyOf"] for key in branch["required"]}
    return keys, triggers


def kind_defects(kind: FaultKind) -> list[str]:
    """What a kind lacks or gets wrong on its own."""
    defects = []
    for part in dataclasses.fields(FaultKind):
        value = getattr(kind, part.name)
        if value is None or value == ():
            defects.append(f"{kind.name}: no {part.name}")
        elif part.name not in DATA_PARTS and not callable(value):
            defects.append(f"{kind.name}: {part.name} is not callable")
    for part in ("effect", "step"):
        model = getattr(kind, part)
        if not (dataclasses.is_dataclass(model) and model.__dataclass_params__.frozen):
            defects.append(f"{kind.name}: its {part} is not a frozen dataclass")
    if not set(kind.triggers) <= set(kind.keys):
        defects.append(f"{kind.name}: triggers {sorted(set(kind.triggers) - set(kind.keys))} are not among its keys")
    return defects


def table_defects(kinds: tuple[FaultKind, ...], schema: dict) -> list[str]:
    """Where the table and the schema disagree: every key has one kind, every kind its keys."""
    keys, triggers = schema_keys(schema)
    owned = [key for kind in kinds for key in kind.keys]
    defects = [f"{key!r} belongs to more than one kind" for key in sorted(set(owned)) if owned.count(key) > 1]
    defects += [f"the schema's {key!r} has no kind" for key in sorted(keys - set(owned))]
    defects += [f"{key!r} of a kind is not in the schema" for key in sorted(set(owned) - keys)]
    declared = {key for kind in kinds for key in kind.triggers}
    defects += [f"the schema's trigger {key!r} is no kind's" for key in sorted(triggers - declared)]
    defects += [f"trigger {key!r} is not in the schema's anyOf" for key in sorted(declared - triggers)]
    return defects


def test_every_kind_has_every_part():
    assert [d for kind in KINDS for d in kind_defects(kind)] == []


def test_the_schema_and_the_table_name_the_same_keys():
    assert table_defects(KINDS, SCHEMA) == []


def test_kind_names_effects_and_steps_are_unique():
    for part in ("name", "effect", "step"):
        assert len({getattr(kind, part) for kind in KINDS}) == len(KINDS), part


def test_the_checks_above_can_fail():
    # a kind without an applier whose effect is no dataclass; a key of no kind; a kind the schema lacks
    broken = dataclasses.replace(KINDS[0], apply=None, effect=str)
    defects = kind_defects(broken)
    assert any("no apply" in d for d in defects) and any("effect is not a frozen dataclass" in d for d in defects)
    extra = json.loads(json.dumps(SCHEMA))
    extra["$defs"]["failure_mode"]["properties"]["corrupt"] = {"$ref": "#/$defs/percent"}
    extra["$defs"]["failure_mode"]["anyOf"].append({"required": ["corrupt"]})
    assert table_defects(KINDS, extra) == [
        "the schema's 'corrupt' has no kind",
        "the schema's trigger 'corrupt' is no kind's",
    ]
    twice = KINDS + (dataclasses.replace(KINDS[1], name="x"),)
    assert "'down' belongs to more than one kind" in table_defects(twice, SCHEMA)


def test_the_repos_profiles_plan_every_kind_through_its_own_parts():
    seen = set()
    for path in PROFILES:
        profile = load_profile(path, {})
        plans = {plan.name: plan for plan in plan_faults(plan_stack(profile), profile)}
        for mode in profile.failure_modes:
            kinds = {kind.name for kind, _ in by_kind(mode.effects, kind_of_effect)}
            assert len(kinds) == 1, f"{mode.name}: one kind per failure mode, not {sorted(kinds)}"
            assert {kind_of_step(step).name for step in plans[mode.name].steps} <= kinds, mode.name
            assert plans[mode.name].describe() != "nothing", mode.name
            seen |= kinds
    assert seen == {kind.name for kind in KINDS}, "the repo's profiles should show every kind"
