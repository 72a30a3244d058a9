"""The check-kind table (envsim.config.check_kinds): every kind module is in it and in the
`Check` union, every kind has every part, the JSON Schema and the table name the same kinds,
and a kind's parts agree with each other on the repo's own scenarios and on format.md's
scenario example, which shows every kind (written -> built -> journal record -> built again)."""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import typing
from pathlib import Path

import pytest
from config_helpers import write

from envsim.config import check_kinds, load_scenario
from envsim.config.check_kinds import KINDS, Check, kind_named, kind_of, kinds_claiming
from envsim.config.check_kinds.kind import CheckKind, whole_run
from envsim.config.yamlload import load_yaml

REPO = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((REPO / "envsim" / "config" / "schemas" / "scenario.schema.json").read_text(encoding="utf-8"))
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml")) + sorted((REPO / "examples").glob("*/scenarios/*.yaml"))
# parts a kind may leave out, saying so with None: a kind measured from the load has no probe
OPTIONAL_PARTS = {"probe"}
FORMAT_MD = REPO / "docs" / "format.md"


def format_md_scenario() -> str:
    """The scenario example in docs/format.md: the first YAML block under `## Scenario`."""
    section = FORMAT_MD.read_text(encoding="utf-8").split("\n## Scenario\n", 1)[1]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def declared_kinds() -> dict[str, CheckKind]:
    """Module name -> the KIND it declares, for every module of envsim/config/check_kinds/."""
    declared = {}
    for info in pkgutil.iter_modules(check_kinds.__path__):
        kind = getattr(importlib.import_module(f"{check_kinds.__name__}.{info.name}"), "KIND", None)
        if isinstance(kind, CheckKind):
            declared[info.name] = kind
    return declared


def schema_branches(schema: dict) -> dict[str, str]:
    """Scenario key -> its `$defs` name, read from checks' `if required [key] then $ref` pairs;
    every key of the `oneOf` must have one."""
    items = schema["properties"]["checks"]["items"]
    keys = {branch["required"][0] for branch in items["oneOf"]}
    refs = {rule["if"]["required"][0]: rule["then"]["$ref"].removeprefix("#/$defs/") for rule in items["allOf"]}
    assert keys == set(refs), f"oneOf keys {sorted(keys)} and if/then keys {sorted(refs)} differ"
    return refs


def kind_defects(kind: CheckKind, branches: dict[str, str], defs: dict) -> list[str]:
    """What a kind lacks or gets wrong against the schema."""
    defects = []
    for part in dataclasses.fields(CheckKind):
        value = getattr(kind, part.name)
        if value is None and part.name not in OPTIONAL_PARTS:
            defects.append(f"{kind.name}: no {part.name}")
        elif part.name not in ("name", "model", "written_as", "schema") and value is not None and not callable(value):
            defects.append(f"{kind.name}: {part.name} is not callable")
    if not (dataclasses.is_dataclass(kind.model) and kind.model.__dataclass_params__.frozen):
        defects.append(f"{kind.name}: its model is not a frozen dataclass")
    elif "label" not in {f.name for f in dataclasses.fields(kind.model)}:
        defects.append(f"{kind.name}: its model has no label field")
    if branches.get(kind.written_as) != kind.schema:
        defects.append(
            f"{kind.name}: the schema writes {kind.written_as!r} as {branches.get(kind.written_as)!r}, "
            f"the kind says {kind.schema!r}"
        )
    if kind.schema not in defs:
        defects.append(f"{kind.name}: the schema has no $defs/{kind.schema}")
    return defects


def test_every_kind_has_every_part_and_its_schema_branch():
    branches = schema_branches(SCHEMA)
    assert [d for kind in KINDS for d in kind_defects(kind, branches, SCHEMA["$defs"])] == []


def test_every_schema_branch_has_a_kind():
    assert set(schema_branches(SCHEMA)) == {kind.written_as for kind in KINDS}


def test_every_kind_module_is_in_the_table_and_the_check_union():
    declared = declared_kinds()
    assert [name for name, kind in declared.items() if kind not in KINDS] == []
    assert set(typing.get_args(Check)) == {kind.model for kind in KINDS}


def test_a_kind_judged_after_the_load_probes_the_stack():
    # with no probe its judge finds no probe result, and every run fails the check "no data"
    assert [kind.name for kind in KINDS if kind.judged_phase is whole_run and kind.probe is None] == []


def test_kind_names_and_models_are_unique():
    assert len({kind.name for kind in KINDS}) == len({kind.model for kind in KINDS}) == len(KINDS)


def test_the_checks_above_can_fail():
    # a kind without a judge, pointing at a branch the schema lacks; a schema with a branch of no kind
    branches = schema_branches(SCHEMA)
    broken = dataclasses.replace(KINDS[0], judge=None, schema="nothing_check")
    defects = kind_defects(broken, branches, SCHEMA["$defs"])
    assert any("no judge" in d for d in defects) and any("$defs/nothing_check" in d for d in defects)
    extra = json.loads(json.dumps(SCHEMA))
    extra["properties"]["checks"]["items"]["oneOf"].append({"required": ["kafka"]})
    extra["properties"]["checks"]["items"]["allOf"].append(
        {"if": {"required": ["kafka"]}, "then": {"$ref": "#/$defs/kafka_check"}}
    )
    assert set(schema_branches(extra)) != {kind.written_as for kind in KINDS}


def test_one_kind_claims_each_check_of_the_repo_scenarios():
    used = set()
    for path in SCENARIOS:
        for written in load_yaml(path, path.name).data.get("checks", ()):
            claiming = kinds_claiming(written)
            assert len(claiming) == 1, (path.name, written, [k.name for k in claiming])
            used.add(claiming[0].name)
    assert len(used) >= 6  # every kind but redis appears in them


def test_format_md_shows_every_kind_and_each_of_its_checks_survives_its_journal_record(repo):
    scenario = load_scenario(write(repo, "scenarios/format-md.yaml", format_md_scenario()), {})
    assert {kind.name for kind in KINDS} - {kind_of(check).name for check in scenario.checks} == set()
    for check in scenario.checks:
        kind = kind_of(check)
        record = json.loads(json.dumps(kind.to_record(check)))
        assert kind.from_record(record, "checks[0]", check.label) == check


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_a_built_check_survives_its_journal_record(path):
    scenario = load_scenario(path, {})
    for check in scenario.checks:
        kind = kind_of(check)
        record = json.loads(json.dumps(kind.to_record(check)))  # as a journal file holds it
        assert kind_named(kind.name) is kind
        assert kind.from_record(record, "checks[0]", check.label) == check
        assert kind.label(check) and check.label
