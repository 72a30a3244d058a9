"""Interpolation of ${env...}/${secret...}/$$ and `extends` merging, through the public loaders."""

from __future__ import annotations

import pytest
from config_helpers import MINIMAL_PROFILE, profile_messages, write

from envsim.config import load_profile
from envsim.config.template import SecretRef, Template
from envsim.errors import InputError


def env_of(profile, service="api"):
    return dict(profile.service(service).env)


def test_env_default_literal_dollar_and_secret(repo):
    path = write(
        repo,
        "profiles/p.yaml",
        MINIMAL_PROFILE
        + """    env:
      A: "${env.MODE:-dev}"
      B: "${env.MODE}-x"
      C: "price $$5 and $HOME"
      D: "u:${secret.pw}@${env.HOST:-db}"
      E: 8000
credentials:
  pw: {generate: password}
""",
    )
    profile = load_profile(path, {"MODE": "prod"})
    env = env_of(profile)
    assert env["A"] == Template.literal("prod")
    assert env["B"] == Template.literal("prod-x")
    assert env["C"] == Template.literal("price $5 and $HOME")
    assert env["D"] == Template(("u:", SecretRef("pw"), "@db"))
    assert env["D"].redacted() == "u:<secret:pw>@db"
    assert env["E"] == Template.literal("8000")
    assert load_profile(path, {"MODE": "x"}).service("api").image == "app:1"


def test_escaped_reference_is_not_resolved(repo):
    path = write(repo, "profiles/p.yaml", MINIMAL_PROFILE + '    env: {A: "$${secret.nope} $${env.NOPE}"}\n')
    assert env_of(load_profile(path, {}))["A"] == Template.literal("${secret.nope} ${env.NOPE}")


def test_env_in_non_template_fields(repo):
    path = write(repo, "profiles/p.yaml", MINIMAL_PROFILE.replace("app:1", "${env.IMAGE:-app}:${env.TAG:-1}"))
    assert load_profile(path, {"TAG": "7"}).service("api").image == "app:7"


def test_bad_references(repo):
    text = MINIMAL_PROFILE + '    env: {A: "${env.X", B: "${vault.x}", C: "${env.1BAD}"}\n'
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:7:14: services.api.env.A: unterminated '${' in '${env.X': close it with '}' or write '$$' "
        "for a literal '$'",
        "profiles/p.yaml:7:28: services.api.env.B: unknown reference '${vault.x}': use ${secret.NAME}, ${env.VAR}, "
        "${env.VAR:-default} or '$$' for a literal '$'",
        "profiles/p.yaml:7:45: services.api.env.C: unknown reference '${env.1BAD}': use ${secret.NAME}, ${env.VAR}, "
        "${env.VAR:-default} or '$$' for a literal '$'",
    ]


BASE = """
envsim: 1
name: base
services:
  api:
    image: app:1
    ports: {http: 8000}
    publish: [http]
    env: {A: "1", B: "2"}
    depends_on: [db]
  db: {image: "postgres:16", ports: {pg: 5432}, seed: [{sql: ../seeds/a.sql}]}
failure_modes:
  db-slow: {target: db, latency: 100ms}
"""


def test_extends_deep_merges_and_replaces_lists(repo):
    write(repo, "seeds/a.sql", "select 1;\n")
    write(repo, "profiles/base.yaml", BASE)
    path = write(
        repo,
        "profiles/child.yaml",
        """
    envsim: 1
    extends: base
    services:
      api:
        env: {B: "20", C: "3"}
        depends_on: []
    failure_modes:
      db-slow: {latency: 900ms}
    """,
    )
    profile = load_profile(path, {})
    assert profile.name == "child"  # a name is never inherited
    api = profile.service("api")
    assert api.image == "app:1"
    assert [(k, v.redacted()) for k, v in api.env] == [("A", "1"), ("B", "20"), ("C", "3")]
    assert api.depends_on == ()
    assert profile.failure_mode("db-slow").effects[0].attributes == (("latency", 900), ("jitter", 0))
    # the seed path was written in base.yaml and resolves against it
    assert profile.service("db").seed[0].file == (repo / "seeds/a.sql").resolve()


def test_extends_chain_and_marks_point_into_the_file_a_value_came_from(repo):
    write(repo, "profiles/base.yaml", BASE.replace("image: app:1", "image: app:1\n    replicas: 0"))
    write(repo, "profiles/mid.yaml", "envsim: 1\nextends: base.yaml\nscale: {load: {users: 5}}\n")
    path = write(repo, "profiles/top.yaml", "envsim: 1\nextends: mid\nfailure_modes: {x: {target: nope, down: true}}\n")
    with pytest.raises(InputError) as caught:
        load_profile(path, {})
    assert [str(p) for p in caught.value.problems] == [
        "profiles/base.yaml:6:15: services.api.replicas: must be at least 1, got 0",
        "profiles/base.yaml:11:62: services.db.seed[0].sql: file not found: '../seeds/a.sql'",
        "profiles/top.yaml:3:29: failure_modes.x.target: unknown service 'nope'",
    ]


def test_extends_cycle_and_missing_parent(repo):
    write(repo, "profiles/a.yaml", "envsim: 1\nextends: b\n")
    write(repo, "profiles/b.yaml", "envsim: 1\nextends: a\n")
    with pytest.raises(InputError) as caught:
        load_profile(repo / "profiles/a.yaml", {})
    assert [str(p) for p in caught.value.problems] == ["profiles/b.yaml:2:10: extends: extends cycle: a -> b -> a"]
    assert profile_messages(repo, "envsim: 1\nextends: prod-lik\n") == [
        "profiles/p.yaml:2:10: extends: no profile 'prod-lik' to extend (looked for prod-lik.yaml and prod-lik.yml "
        "beside this file); did you mean 'prod-like'?"
    ]


def test_extends_null_removes_an_inherited_key(repo):
    write(
        repo,
        "profiles/base.yaml",
        """
    envsim: 1
    services:
      api: {image: "app:1", ports: {http: 8000}, publish: [http], depends_on: [payments], env: {A: "1", B: "2"}}
      payments:
        stub: {routes: [{method: POST, path: /charges, status: 201}]}
        ports: {http: 8080}
    failure_modes:
      payments-slow: {target: payments, latency: 100ms}
    """,
    )
    write(repo, "app/Dockerfile", "FROM scratch\n")
    path = write(
        repo,
        "profiles/child.yaml",
        """
    envsim: 1
    extends: base
    services:
      api:
        env: {B: null}
      payments:
        stub: null
        build: ../app
    failure_modes:
      payments-slow:
    """,
    )
    profile = load_profile(path, {})
    payments = profile.service("payments")
    assert payments.stub is None and payments.build is not None
    assert payments.build.context == (repo / "app").resolve()
    assert [k for k, _ in profile.service("api").env] == ["A"]
    assert profile.failure_modes == ()


def test_extends_without_null_removal_still_rejects_two_kinds(repo):
    write(
        repo,
        "profiles/base.yaml",
        """
    envsim: 1
    services:
      api: {image: "app:1", ports: {http: 8000}, publish: [http]}
      payments: {stub: {routes: [{method: GET, path: /x}]}}
    """,
    )
    write(repo, "app/Dockerfile", "FROM scratch\n")
    path = write(repo, "profiles/child.yaml", "envsim: 1\nextends: base\nservices:\n  payments: {build: ../app}\n")
    with pytest.raises(InputError):
        load_profile(path, {})


def test_a_base_several_profiles_extend_is_parsed_once_and_interpolated_for_each(repo):
    from envsim.config.loader import Loader

    write(repo, "seeds/a.sql", "select 1;\n")
    write(repo, "profiles/base.yaml", BASE.replace('B: "2"', 'B: "price $$5"'))
    write(repo, "profiles/one.yaml", 'envsim: 1\nextends: base\nservices: {api: {env: {D: "${env.D:-one}"}}}\n')
    write(repo, "profiles/two.yaml", 'envsim: 1\nextends: base\nservices: {api: {env: {D: "$$two"}}}\n')
    loader = Loader({})
    base = repo / "profiles/base.yaml"
    first, second = loader.read(base), loader.read(base)
    assert first is not second and first.data is second.data  # one parse, a document per caller
    models = [loader.any(repo / f"profiles/{name}.yaml") for name in ("base", "one", "two")]
    assert [problems for _, problems in models] == [[], [], []]
    envs = [{k: v.redacted() for k, v in model.service("api").env} for model, _ in models]
    # the base, loaded first, was interpolated in a document of its own: the children expand the written text
    assert envs == [
        {"A": "1", "B": "price $5"},
        {"A": "1", "B": "price $5", "D": "one"},
        {"A": "1", "B": "price $5", "D": "$two"},
    ]
