"""Schema checking: the packaged schemas, and readable located messages for violations."""

from __future__ import annotations

import json

from config_helpers import MINIMAL_PROFILE, profile_messages, scenario_messages

from envsim.config.schema_check import schema_text
from envsim.units import DURATION_PATTERN, PERCENT_PATTERN, SIZE_PATTERN


def test_schemas_are_draft_2020_12_and_use_the_unit_patterns():
    from jsonschema import Draft202012Validator

    for kind in ("profile", "scenario"):
        schema = json.loads(schema_text(kind))
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        defs = schema["$defs"]
        assert defs["duration"]["anyOf"][1]["pattern"] == DURATION_PATTERN
        assert defs["percent"]["anyOf"][1]["pattern"] == PERCENT_PATTERN
        assert defs["size"]["anyOf"][1]["pattern"] == SIZE_PATTERN


def test_every_object_in_the_schemas_is_closed():
    def walk(node, where):
        if isinstance(node, dict):
            if "properties" in node and "if" not in where[-1:] and where[-1:] != ["then"]:
                assert node.get("additionalProperties") is False, where
            for key, value in node.items():
                walk(value, where + [key])
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for kind in ("profile", "scenario"):
        walk(json.loads(schema_text(kind)), [kind])


def test_unknown_key_with_did_you_mean(repo):
    text = MINIMAL_PROFILE + "    replicsa: 2\n"
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:7:5: services.api.replicsa: unknown key 'replicsa'; did you mean 'replicas'?"
    ]


def test_unknown_key_without_close_match_lists_the_keys(repo):
    text = "envsim: 1\nservices: {api: {image: a}}\nzzz: 1\n"
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:3:1: zzz: unknown key 'zzz' (expected one of: credentials, envsim, extends, "
        "failure_modes, name, scale, services)"
    ]


def test_all_problems_at_once(repo):
    text = """
    envsim: 2
    services:
      api:
        image: 5
        ports: {http: 0}
        replicas: many
        command: python app.py
    """
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:1:9: envsim: expected 1 (the format version), got 2",
        "profiles/p.yaml:4:12: services.api.image: expected a string, got 5",
        "profiles/p.yaml:5:19: services.api.ports.http: must be at least 1, got 0",
        "profiles/p.yaml:6:15: services.api.replicas: expected a whole number, got text 'many'",
        "profiles/p.yaml:7:14: services.api.command: expected a command as a list such as [python, -m, app] "
        "(never a shell string), got 'python app.py'",
    ]


def test_exactly_one_of_image_build_stub(repo):
    assert profile_messages(repo, "envsim: 1\nservices:\n  api: {ports: {http: 1}}\n") == [
        "profiles/p.yaml:3:3: services.api: needs exactly one of: image, build, stub"
    ]
    assert profile_messages(repo, "envsim: 1\nservices:\n  api: {image: a, stub: {routes: []}}\n") == [
        "profiles/p.yaml:3:3: services.api: only one of 'image', 'stub' may be given"
    ]


def test_invalid_names(repo):
    assert profile_messages(repo, "envsim: 1\nservices:\n  Api_X!: {image: a}\n") == [
        "profiles/p.yaml:3:3: services.Api_X!: invalid name 'Api_X!': expected a name of lowercase letters, "
        "digits, '-' and '_'"
    ]


def test_enum_with_did_you_mean(repo):
    text = MINIMAL_PROFILE + "failure_modes:\n  x: {target: api, container: kil}\n"
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:8:31: failure_modes.x.container: expected one of: kill, stop, restart, pause; "
        "got 'kil'; did you mean 'kill'?"
    ]


def test_failure_mode_kinds_exclude_each_other(repo):
    text = MINIMAL_PROFILE + "failure_modes:\n  x: {target: api, down: true, latency: 1s, container: kill}\n"
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:8:32: failure_modes.x.latency: 'latency' cannot be combined with 'container'",
        "profiles/p.yaml:8:32: failure_modes.x.latency: 'latency' cannot be combined with 'down'",
        "profiles/p.yaml:8:45: failure_modes.x.container: 'container' cannot be combined with 'down'",
    ]


def test_dependent_keys(repo):
    text = MINIMAL_PROFILE + "failure_modes:\n  x: {target: api, jitter: 10ms}\n"
    assert profile_messages(repo, text) == [
        "profiles/p.yaml:8:3: failure_modes.x: needs one of: latency, bandwidth, timeout, reset_peer, "
        "slow_close, slicer, limit_data, down, container, http_errors, drop, slow_body, outage, delay, partition, "
        "packet_loss, link_bandwidth, dns",
        "profiles/p.yaml:8:20: failure_modes.x.jitter: 'jitter' needs 'latency' as well",
    ]


def test_units_in_scenario_bounds_follow_the_metric(repo):
    text = """
    envsim: 1
    profile: prod-like
    load: {duration: 1m, tasks: [{name: a, request: GET /}]}
    checks:
      - {metric: p95, below: 5%}
      - {metric: error_rate, below: 200ms}
      - {metric: rps, above: fast}
    """
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:5:26: checks[0].below: expected a duration such as 300ms, 30s or 3m, got '5%'",
        "scenarios/s.yaml:6:33: checks[1].below: expected a percentage such as 20% (or a number from 0 to 1), got '200ms'",
        "scenarios/s.yaml:7:26: checks[2].above: expected a number, got text 'fast'",
    ]


def test_check_kind_is_required_with_a_hint(repo):
    text = """
    envsim: 1
    profile: prod-like
    load: {duration: 1m, tasks: [{name: a, request: GET /}]}
    checks:
      - {metrics: p95, below: 1s}
    """
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:5:5: checks[0]: needs exactly one of: metric, sql, http, redis, exec, stub, file "
        "(unknown key 'metrics'; did you mean 'metric'?)"
    ]


def test_stub_checks_read_and_name_a_stub_service(repo):
    from config_helpers import write

    write(
        repo,
        "profiles/withstub.yaml",
        """envsim: 1
name: withstub
services:
  api: {image: "app:1", ports: {http: 8000}, publish: [http], depends_on: [payments]}
  payments: {stub: {routes: [{method: POST, path: /v1/charges, status: 201}]}}
""",
    )
    text = """envsim: 1
profile: withstub
load: {users: 1, spawn_rate: 1, duration: 5s, tasks: [{name: pay, request: "POST /pay"}]}
checks:
  - {stub: {service: payments, request: "POST /v1/charges"}, equals: {successes: pay}}
  - {stub: {service: payments, request: "POST /v1/charges"}, header: Idempotency-Key}
  - {stub: {service: payments}, backoff: {after: [429, 503], at_least: 1s, key: header.Idempotency-Key}}
  - {stub: {service: payments, status: [401, 403, 410]}, equals: 0}
  - {stub: {service: api}, equals: 0}
"""
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:9:22: checks[4].stub.service: 'api' is not a stub: stub checks read the request journal "
        "of a service the profile declares with `stub:`"
    ]
