"""The compiled schema check that answers first for valid files: it may send a valid file on to
jsonschema, but it must never pass a file jsonschema rejects, and valid files must not pay for
importing jsonschema at all."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envsim.config.schema_check import _ENGINES_AGREE, KINDS, _validator, schema_text, surely_valid
from envsim.config.yamlload import load_yaml
from envsim.errors import InputError

REPO = Path(__file__).resolve().parents[3]
CORPUS_DIRS = ("profiles", "scenarios", "examples", "tests/invalid", "envsim/cli/scaffold")


def corpus() -> list[tuple[str, object]]:
    trees = []
    for directory in CORPUS_DIRS:
        for path in sorted((REPO / directory).rglob("*.y*ml")):
            try:
                trees.append((str(path.relative_to(REPO)), load_yaml(path, path.name).data))
            except InputError:
                continue  # unreadable YAML never reaches the schema check
    return trees


def test_the_corpus_has_valid_and_invalid_trees_of_both_kinds():
    verdicts = {(kind, not any(_validator(kind).iter_errors(data))) for _, data in corpus() for kind in KINDS}
    assert verdicts == {(kind, valid) for kind in KINDS for valid in (True, False)}


@pytest.mark.parametrize("kind", KINDS)
def test_the_fast_check_never_passes_a_tree_jsonschema_rejects(kind):
    passed = 0
    for name, data in corpus():
        errors = [error.message for error in _validator(kind).iter_errors(data)]
        if surely_valid(data, kind):
            passed += 1
            assert errors == [], f"{name} passed the fast check as a {kind}, but: {errors[:3]}"
    assert passed > 0


def test_a_value_the_compiled_validator_cannot_convert_goes_to_jsonschema():
    assert surely_valid({"services": {"db": {"image": "postgres", "replicas": 2**70}}}, "profile") is False


@pytest.mark.parametrize("name", ["db\x1f", "db\u00a0", "caf\u00e9"])
def test_text_the_regex_engines_may_read_apart_goes_to_jsonschema(name):
    fine = {"envsim": 1, "services": {"db": {"image": "postgres"}}}
    assert surely_valid(fine, "profile")
    assert not surely_valid({"envsim": 1, "services": {name: {"image": "postgres"}}}, "profile")


def test_validating_the_repos_files_leaves_jsonschema_unimported():
    probe = (
        "import sys\n"
        "from envsim.cli.failures import run_cli\n"
        "from envsim.cli import cli\n"
        "sys.argv = ['envsim', 'validate']\n"
        "code = run_cli(cli)\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] == 'jsonschema'))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stderr


PATTERNS = sorted(
    {pattern for kind in KINDS for pattern in re.findall(r'"pattern":\s*("(?:[^"\\]|\\.)*")', schema_text(kind))}
)


# 60 generated texts per pattern in the full command (`slow`), 5 in the fast tier: the few catch a
# pattern the compiled check gets plainly wrong on every edit, the many the rare texts.
TEXTS = [pytest.param(60, marks=pytest.mark.slow, id="60 texts"), pytest.param(5, id="5 texts")]
TEXT = st.text(alphabet=st.characters(codec="ascii"), max_size=12) | st.sampled_from(
    ["GET /x\n", "a\n", "5s\n", "10 %", "１２ms", "٣s", "x y", "A_b-c.d", "header.X-Y", "json.a.b", "200"]
)


def compiled_accepts_only_what_re_accepts(pattern: str, text: str) -> None:
    in_scope = _ENGINES_AGREE.fullmatch(text) is not None  # other text never reaches the compiled check
    if in_scope and jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(text):
        assert re.search(pattern, text), (pattern, text)


@pytest.mark.parametrize("examples", TEXTS)
@pytest.mark.parametrize("pattern_json", PATTERNS)
def test_the_compiled_patterns_accept_nothing_python_re_rejects(pattern_json, examples):
    pattern = json.loads(pattern_json)
    prop = given(text=TEXT)(lambda text: compiled_accepts_only_what_re_accepts(pattern, text))
    settings(max_examples=examples, deadline=None)(prop)()
