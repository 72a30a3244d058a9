"""Reading compose files: substitution, .env, merging -f files, located errors."""

from __future__ import annotations

import pytest
from compose_helpers import profile_of, warnings_of

from envsim.compose.interpolate import SubstitutionError, parse_dotenv, substitute
from envsim.compose.read import ComposeFile, read_compose
from envsim.errors import InputError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("${A}", "a"),
        ("$A-x", "a-x"),
        ("${UNSET:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${UNSET-dflt}", "dflt"),
        ("${A:+alt}", "alt"),
        ("${UNSET:+alt}", ""),
        ("${UNSET:-${A}-nested}", "a-nested"),
        ("cost $$5 and $${A}", "cost $5 and ${A}"),
        ("lone $ sign", "lone $ sign"),
    ],
)
def test_substitution_forms(text, expected):
    assert substitute(text, {"A": "a", "EMPTY": ""}).text == expected


def test_unset_variables_are_reported_and_required_ones_fail():
    assert substitute("x${NOPE}y", {}).unset == ["NOPE"]
    with pytest.raises(SubstitutionError, match="required variable 'TAG' is missing a value: set TAG"):
        substitute("${TAG:?set TAG}", {})
    with pytest.raises(SubstitutionError, match="unterminated"):
        substitute("${TAG", {})


def test_dotenv_format():
    values, problems = parse_dotenv(
        "# comment\nexport A=1\nB = two words # trailing\nC='${A} kept'\nD=\"quoted ${A}\"\nE=${A}-${SHELL_ONLY}\n"
        "not a line\nF\n",
        {"SHELL_ONLY": "s", "F": "from-env"},
    )
    assert values == {"A": "1", "B": "two words", "C": "${A} kept", "D": "quoted 1", "E": "1-s", "F": "from-env"}
    assert [(p.line, p.message) for p in problems] == [(7, "not a KEY=VALUE line: 'not a line'")]


COMPOSE = """
services:
  api:
    image: "app:${TAG:-dev}"
    environment:
      MODE: ${MODE}
"""


def test_dotenv_beside_the_file_and_the_environment_wins():
    assert profile_of(COMPOSE, dotenv="TAG=1.2\nMODE=file\n")["services"]["api"]["image"] == "app:1.2"
    profile = profile_of(COMPOSE, dotenv="TAG=1.2\nMODE=file\n", environ={"MODE": "shell"})
    assert profile["services"]["api"]["env"] == {"MODE": "shell"}


def test_unset_variable_is_a_located_warning_and_empty():
    assert profile_of(COMPOSE)["services"]["api"]["env"] == {"MODE": ""}
    assert any(
        w.startswith("docker-compose.yml:5:13: services.api.environment.MODE: variable 'MODE' is not set")
        for w in warnings_of(COMPOSE)
    )


def test_files_merge_the_compose_way():
    base = """
    services:
      api:
        image: app:1
        command: [serve, --port, "8000"]
        ports: ["8000"]
        environment: [A=1, B=2]
        depends_on: [db]
      db: {image: postgres:15}
    """
    override = """
    services:
      api:
        command: serve --debug
        ports: ["9000"]
        environment: {B: three, C: "4"}
      cache: {image: redis:7}
    """
    api = profile_of(base, override)["services"]["api"]
    assert api["command"] == ["serve", "--debug"]  # replaced
    assert api["ports"] == {"http": 8000, "p9000": 9000}  # added up
    assert api["env"] == {"A": "1", "B": "three", "C": "4"}  # merged, list and mapping forms alike
    assert api["depends_on"] == ["db"]
    assert list(profile_of(base, override)["services"]) == ["api", "db", "cache"]


def test_problems_in_an_override_point_into_that_file():
    base = "services:\n  api: {image: app:1}\n"
    override = "services:\n  api:\n    replicas: 2\n"
    with pytest.raises(InputError) as caught:
        profile_of(base, override)
    assert [str(p) for p in caught.value.problems] == [
        "override1.yml:3:5: services.api.replicas: unknown compose key 'replicas'",
    ]


def test_yaml_errors_are_located_and_all_files_are_reported():
    files = [
        ComposeFile("a.yml", "services:\n  api: {image: x\n"),
        ComposeFile("b.yml", "services:\n  api: {image: x}\n  api: {image: y}\n"),
        ComposeFile("c.yml", "services:\n  api: {image: '${TAG:?needs a tag}'}\n"),
    ]
    with pytest.raises(InputError) as caught:
        read_compose(files, {})
    messages = [str(p) for p in caught.value.problems]
    assert messages[0].startswith("a.yml:3:1: (top): YAML syntax error")
    assert messages[1] == "b.yml:3:3: services.api: duplicate key 'api' (first defined at line 2)"
    assert messages[2] == "c.yml:2:16: services.api.image: required variable 'TAG' is missing a value: needs a tag"


def test_dotenv_problems_are_located():
    with pytest.raises(InputError) as caught:
        read_compose([ComposeFile("docker-compose.yml", "services: {}\n")], {}, ComposeFile(".env", "A=1\n=oops\n"))
    assert [str(p) for p in caught.value.problems] == [".env:2:1: (top): not a KEY=VALUE line: '=oops'"]
