"""Property tests: whatever the input, loading ends in a model or in located Problems — never a traceback."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
import yaml
from config_helpers import scaffold
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envsim.cli.cmd_init import scaffold_text
from envsim.config import validate_paths
from envsim.errors import Problem

PROFILE = yaml.safe_load(scaffold_text("profiles/prod-like.yaml"))
SCENARIO = yaml.safe_load(scaffold_text("scenarios/checkout.yaml"))
ENV = {"APP_IMAGE": "app:1"}
# Each property runs at 150 generated inputs in the full command (`slow`) and at 10 in the fast
# tier: the few still cover each input shape on every edit, the many find the rare ones.
EXAMPLES = [pytest.param(150, marks=pytest.mark.slow, id="150 examples"), pytest.param(10, id="10 examples")]


def hold(examples: int, strategy, prop) -> None:
    """Checks `prop` on `examples` inputs drawn from `strategy`."""
    run = given(strategy)(prop)
    settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])(run)()


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 100000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "",
            "x",
            "1s",
            "-5",
            "20%",
            "150%",
            "64k",
            "${secret.db_password}",
            "${env.NOPE}",
            "${",
            "$$",
            "GET /x",
            "api",
            "db",
            "db-slow",
            "cache-down",
            "../x",
            "/etc/passwd",
            "http",
            "browse",
        ]
    ),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)


def paths_of(tree, prefix=()):
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from paths_of(value, prefix + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from paths_of(value, prefix + (index,))


@st.composite
def mutated(draw, original):
    tree = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in paths_of(tree) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "rename", "add"]))
        last = path[-1]
        if action == "replace":
            parent[last] = draw(values)
        elif action == "delete":
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = parent.pop(last)
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(st.text(min_size=1, max_size=10))] = draw(values)
    return tree


def check(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / ".git").mkdir()
        scaffold(root)
        for name, content in files.items():
            (root / name).write_bytes(content)
        problems = validate_paths([root / name for name in files], ENV)
        assert all(isinstance(p, Problem) and p.line >= 1 and p.col >= 1 for p in problems)


def dump(tree) -> bytes:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False).encode("utf-8")


def profile_loads(tree):
    check({"profiles/prod-like.yaml": dump(tree)})


def scenario_loads(tree):
    check({"scenarios/checkout.yaml": dump(tree)})


def values_load_as_profile_and_load(tree):
    check(
        {
            "profiles/random.yaml": dump(tree),
            "scenarios/random.yaml": dump({"envsim": 1, "profile": "prod-like", "load": tree}),
        }
    )


def text_loads(text):
    check({"profiles/text.yaml": text.encode("utf-8")})


def bytes_load(data):
    check({"profiles/bytes.yaml": data})


YAML_ISH_TEXT = st.lists(
    st.sampled_from(list("ab:- {}[],&*!|>'\"#\n\t%@`$1.") + ["envsim: 1\n", "services:\n", "  "]), max_size=60
).map("".join)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_mutated_profiles_never_crash(examples):
    hold(examples, mutated(PROFILE), profile_loads)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_mutated_scenarios_never_crash(examples):
    hold(examples, mutated(SCENARIO), scenario_loads)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_random_yaml_values_never_crash(examples):
    hold(examples, values, values_load_as_profile_and_load)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_random_text_never_crashes(examples):
    hold(examples, YAML_ISH_TEXT, text_loads)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_random_bytes_never_crash(examples):
    hold(examples, st.binary(max_size=64), bytes_load)
