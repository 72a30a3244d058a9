"""Stub compilation: StubSpec -> MockServer expectations, HTTP faults -> chaos twins; plain data."""

from __future__ import annotations

from pathlib import Path

from envsim.config.fault_kinds.http import HttpErrorFault
from envsim.config.fault_model import FailureMode
from envsim.config.profile_model import (
    Profile,
    Service,
    StubAuth,
    StubLatency,
    StubRateLimit,
    StubRoute,
    StubSpec,
    StubVersioning,
)
from envsim.config.template import SecretRef, Template
from envsim.plan.faults import plan_faults
from envsim.plan.stack import plan_stack
from envsim.plan.stubs import (
    PRIORITY_FAULT,
    PRIORITY_NOT_FOUND,
    STUB_CONTAINER_PORT,
    compile_stub,
    fault_chaos,
    fault_twins,
    regex_literal,
    route_expectations,
)

TOKEN = Template(("", SecretRef("payments_token")))
SPEC = StubSpec(
    routes=(
        StubRoute("POST", "/v1/charges", 201, {"id": "ch_1"}, (("Request-Id", "r1"),), match_json={"currency": "eur"}),
        StubRoute("GET", "/v1/charges/{id}", body="plain", match_query=(("expand", "a.b"),)),
    ),
    auth=StubAuth("bearer", TOKEN),
    versioning=StubVersioning("Api-Version", "2024-06", ("2023-01",), sunset="Sat, 01 Jun 2024 00:00:00 GMT"),
    latency=StubLatency("log_normal", 0.12, 0.9),
    rate_limit=StubRateLimit(100, 60.0),
)


def by_id(expectations):
    return {e.id: e.to_json() for e in expectations}


def test_routes_match_method_path_query_and_json_with_latency_and_a_shared_quota():
    routes = by_id(route_expectations("payments", SPEC))
    post, get = routes["envsim.stub.payments.route.0"], routes["envsim.stub.payments.route.1"]
    assert post["priority"] > get["priority"]  # the first declared route wins
    assert post["httpRequest"]["body"] == {
        "type": "JSON",
        "json": {"currency": "eur"},
        "matchType": "ONLY_MATCHING_FIELDS",
    }
    assert post["httpResponse"]["statusCode"] == 201 and post["httpResponse"]["headers"] == {"Request-Id": ["r1"]}
    assert post["httpResponse"]["delay"]["distribution"] == {"type": "LOG_NORMAL", "median": 120, "p99": 900}
    assert get["httpRequest"]["pathParameters"] == {"id": ["[^/]+"]}
    assert get["httpRequest"]["queryStringParameters"] == {"expand": ["a\\.b"]}
    assert get["httpResponse"]["body"] == "plain"
    assert (
        post["rateLimit"]
        == get["rateLimit"]
        == {"algorithm": "fixed_window", "limit": 100, "windowMillis": 60000, "errorStatus": 429, "name": "payments"}
    )


def test_auth_missing_is_401_and_wrong_is_403_above_everything_else():
    compiled = compile_stub("payments", SPEC, {"payments_token": "t0k-1"})
    found = by_id(compiled)
    missing, wrong = found["envsim.stub.payments.auth.missing"], found["envsim.stub.payments.auth.wrong"]
    assert missing["httpRequest"]["headers"] == {"!Authorization": [".*"]}
    assert missing["httpResponse"]["statusCode"] == 401
    assert missing["httpResponse"]["headers"]["WWW-Authenticate"] == ['Bearer realm="api"']
    assert wrong["httpRequest"]["headers"] == {"Authorization": ["!Bearer t0k-1"]}
    assert wrong["httpResponse"]["statusCode"] == 403
    assert max(e.priority for e in compiled) == missing["priority"]
    assert min(e.priority for e in compiled) == PRIORITY_NOT_FOUND
    assert found["envsim.stub.payments.not-found"]["httpResponse"]["statusCode"] == 404


def test_api_key_in_a_query_parameter():
    spec = StubSpec(routes=SPEC.routes, auth=StubAuth("api_key", TOKEN, query="key"))
    found = by_id(compile_stub("maps", spec, {"payments_token": "k"}))
    assert found["envsim.stub.maps.auth.missing"]["httpRequest"] == {"queryStringParameters": {"!key": [".*"]}}
    assert found["envsim.stub.maps.auth.wrong"]["httpRequest"] == {"queryStringParameters": {"key": ["!k"]}}


def test_versions_deprecated_410_with_sunset_unknown_400_by_header_and_prefix():
    found = by_id(compile_stub("payments", SPEC, {"payments_token": "x"}))
    gone = found["envsim.stub.payments.version.gone.0"]
    assert gone["httpRequest"]["headers"] == {"Api-Version": ["2023-01"]}
    assert gone["httpResponse"]["statusCode"] == 410
    assert gone["httpResponse"]["headers"] == {"Deprecation": ["true"], "Sunset": ["Sat, 01 Jun 2024 00:00:00 GMT"]}
    assert found["envsim.stub.payments.version.unknown"]["httpRequest"]["headers"] == {"Api-Version": ["!2024-06"]}
    assert found["envsim.stub.payments.version.unknown"]["httpResponse"]["statusCode"] == 400

    prefixed = StubSpec(
        routes=SPEC.routes[1:],
        versioning=StubVersioning(None, "v2", ("v1",), prefix=True, gone_status=404, gone_body="gone"),
    )
    found = by_id(compile_stub("p", prefixed, {}))
    assert found["envsim.stub.p.route.0"]["httpRequest"]["path"] == "/v2/v1/charges/{id}"
    assert found["envsim.stub.p.version.gone-path.0"]["httpResponse"] == {
        "statusCode": 404,
        "headers": {"Deprecation": ["true"]},
        "body": "gone",
    }
    assert found["envsim.stub.p.version.unknown-path"]["httpRequest"]["path"] == "/(?!v2(/|$))[^/]+(/.*)?"


def test_latency_forms():
    fixed = route_expectations("s", StubSpec(routes=SPEC.routes[:1], latency=StubLatency("fixed", 0.05)))
    uniform = route_expectations("s", StubSpec(routes=SPEC.routes[:1], latency=StubLatency("uniform", 0.1, 0.3)))
    assert fixed[0].to_json()["httpResponse"]["delay"] == {"timeUnit": "MILLISECONDS", "value": 50}
    assert uniform[0].to_json()["httpResponse"]["delay"]["distribution"] == {"type": "UNIFORM", "min": 100, "max": 300}


def test_regex_literal_escapes_what_java_regexes_treat_specially():
    assert regex_literal("a.b*c+(d)?[e]{f}|^$\\") == "a\\.b\\*c\\+\\(d\\)\\?\\[e\\]\\{f\\}\\|\\^\\$\\\\"
    assert regex_literal("tok-_AZ09") == "tok-_AZ09"


def test_fault_chaos_and_twins():
    chaos = fault_chaos(HttpErrorFault(((503, 0.1),), retry_after=1.5, drop=0.05, slow_body=(16, 0.2)))
    assert chaos.to_json() == {
        "errorStatus": 503,
        "errorProbability": 0.1,
        "retryAfter": "2",
        "dropConnectionProbability": 0.05,
        "slowResponseChunkSize": 16,
        "slowResponseChunkDelay": {"timeUnit": "MILLISECONDS", "value": 200},
    }
    assert fault_chaos(HttpErrorFault((), outage=True)).to_json() == {"errorStatus": 503}
    twins = fault_twins("flaky", "payments", SPEC, HttpErrorFault(((503, 0.1),)))
    routes = route_expectations("payments", SPEC)
    assert [t.id for t in twins] == ["envsim.fault.flaky.payments.0", "envsim.fault.flaky.payments.1"]
    assert all(t.request == r.request and t.rate_limit == r.rate_limit for t, r in zip(twins, routes))
    assert all(PRIORITY_FAULT <= t.priority < 700 and t.ttl_ms is None for t in twins)


def test_a_stub_service_is_planned_as_mockserver_behind_toxiproxy_and_faults_carry_twins():
    profile = Profile(
        name="p",
        source=Path("/r/profiles/p.yaml"),
        root=Path("/r"),
        services=(Service("payments", stub=SPEC, ports=(("http", 8080),), publish=(("http", None),)),),
        failure_modes=(FailureMode("flaky", "payments", effects=(HttpErrorFault(((503, 0.1),)),)),),
    )
    plan = plan_stack(profile, "s1")
    container = plan.containers_of("payments")[0]
    assert container.stub is SPEC and container.image == ""
    assert [(p.name, p.container_port) for p in container.ports] == [("http", STUB_CONTAINER_PORT)]
    assert (
        dict((k, v.redacted()) for k, v in container.env)["MOCKSERVER_ATTEMPT_TO_PROXY_IF_NO_MATCHING_EXPECTATION"]
        == "false"
    )
    assert container.health is not None and container.health.kind == "tcp"
    proxy = plan.proxies_of("payments")[0]
    assert (proxy.listen, proxy.upstream) == ("0.0.0.0:8080", "envsim-upstream-payments:1080")
    fault = plan_faults(plan, profile)[0]
    [step] = fault.steps
    assert step.containers == (container.name,) and len(step.twins) == 2
    # plans hold templates, never values: the token is only rendered when the stub is loaded
    assert container.stub.auth.value.redacted() == "<secret:payments_token>"


def test_after_a_rotation_the_overlap_accepts_both_values_and_an_expired_one_gets_401_invalid_token():
    from envsim.plan.stubs import PRIORITY_AUTH_EXPIRED, PRIORITY_AUTH_WRONG, auth_expectations

    during = by_id(auth_expectations("payments", SPEC, {"payments_token": "new"}, previous={"payments_token": "old"}))
    assert during["envsim.stub.payments.auth.wrong"]["httpRequest"]["headers"] == {
        "Authorization": ["!(Bearer new|Bearer old)"]
    }
    assert "envsim.stub.payments.auth.expired" not in during
    after = by_id(auth_expectations("payments", SPEC, {"payments_token": "new"}, expired={"payments_token": "o.d"}))
    expired = after["envsim.stub.payments.auth.expired"]
    assert expired["httpRequest"]["headers"] == {"Authorization": ["Bearer o\\.d"]}
    assert expired["httpResponse"]["statusCode"] == 401
    assert 'error="invalid_token"' in expired["httpResponse"]["headers"]["WWW-Authenticate"][0]
    assert expired["priority"] == PRIORITY_AUTH_EXPIRED > PRIORITY_AUTH_WRONG
    assert after["envsim.stub.payments.auth.wrong"]["httpRequest"]["headers"] == {"Authorization": ["!Bearer new"]}
