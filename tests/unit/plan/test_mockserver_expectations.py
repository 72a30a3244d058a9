"""MockServer expectation JSON built from envsim's frozen data: plain data, no server."""

from __future__ import annotations

import json

import pytest

from envsim.engine.mockserver_client import ActiveExpectation, RecordedExchange, RecordedRequest
from envsim.plan.mockserver_expectations import (
    Chaos,
    Delay,
    Expectation,
    Forward,
    RateLimit,
    RequestMatcher,
    Response,
    path_placeholders,
)


def test_path_placeholders_become_declared_path_parameters():
    assert path_placeholders("/v1/charges/{id}/refunds/{refund_id}") == ["id", "refund_id"]
    matcher = RequestMatcher("post", "/v1/charges/{id}/refunds/{refund_id}", path_parameters={"id": "ch_[a-z0-9]+"})
    assert matcher.to_json() == {
        "method": "POST",
        "path": "/v1/charges/{id}/refunds/{refund_id}",
        "pathParameters": {"id": ["ch_[a-z0-9]+"], "refund_id": ["[^/]+"]},
    }
    assert RequestMatcher(path="/plain").to_json() == {"path": "/plain"}
    assert RequestMatcher().to_json() == {}


def test_query_headers_and_json_body_matching():
    matcher = RequestMatcher(
        "GET",
        "/search",
        query={"q": "shoes", "page": ("1", "2")},
        headers={"Api-Version": "2024-06", "!Authorization": ".*"},
        json={"sku": "A1"},
    )
    assert matcher.to_json() == {
        "method": "GET",
        "path": "/search",
        "queryStringParameters": {"q": ["shoes"], "page": ["1", "2"]},
        "headers": {"Api-Version": ["2024-06"], "!Authorization": [".*"]},
        "body": {"type": "JSON", "json": {"sku": "A1"}, "matchType": "ONLY_MATCHING_FIELDS"},
    }


def test_response_with_json_text_delay_and_close():
    assert Response(201, {"Location": "/o/1"}, json={"id": 1}).to_json() == {
        "statusCode": 201,
        "headers": {"Location": ["/o/1"]},
        "body": {"type": "JSON", "json": {"id": 1}, "contentType": "application/json"},
    }
    assert Response(410, body="gone", reason="Gone", delay=Delay(120), close_socket=True).to_json() == {
        "statusCode": 410,
        "reasonPhrase": "Gone",
        "body": "gone",
        "delay": {"timeUnit": "MILLISECONDS", "value": 120},
        "connectionOptions": {"closeSocket": True},
    }


def test_delay_distributions_use_mockserver_parameter_names():
    assert Delay.uniform(100, 300).to_json() == {
        "timeUnit": "MILLISECONDS",
        "value": 100,
        "distribution": {"type": "UNIFORM", "min": 100, "max": 300},
    }
    assert Delay.log_normal(120, 900).to_json()["distribution"] == {"type": "LOG_NORMAL", "median": 120, "p99": 900}
    assert Delay.gaussian(200, 50).to_json()["distribution"] == {"type": "GAUSSIAN", "mean": 200, "stdDev": 50}


def test_chaos_renders_only_what_is_set():
    assert Chaos().to_json() == {}
    chaos = Chaos(
        error_status=503,
        error_probability=0.1,
        retry_after="2",
        drop_probability=0.05,
        latency=Delay(50),
        slow_chunk_size=16,
        slow_chunk_delay=Delay(100),
        outage_after_ms=0,
        outage_duration_ms=30_000,
    )
    assert chaos.to_json() == {
        "errorStatus": 503,
        "errorProbability": 0.1,
        "retryAfter": "2",
        "dropConnectionProbability": 0.05,
        "slowResponseChunkSize": 16,
        "outageAfterMillis": 0,
        "outageDurationMillis": 30_000,
        "latency": {"timeUnit": "MILLISECONDS", "value": 50},
        "slowResponseChunkDelay": {"timeUnit": "MILLISECONDS", "value": 100},
    }


@pytest.mark.parametrize("field", ["error_probability", "drop_probability", "truncate_at_fraction"])
def test_chaos_probabilities_are_fractions(field):
    with pytest.raises(ValueError, match=field):
        Chaos(**{field: 10})


def test_expectation_defaults_are_unlimited_and_limits_are_explicit():
    route = Expectation(RequestMatcher("GET", "/a"), Response(200))
    assert route.to_json() == {
        "priority": 0,
        "httpRequest": {"method": "GET", "path": "/a"},
        "httpResponse": {"statusCode": 200},
        "times": {"unlimited": True},
        "timeToLive": {"unlimited": True},
    }
    fault = Expectation(
        RequestMatcher(path="/a"),
        Response(200),
        id="fault-a",
        priority=100,
        times=3,
        ttl_ms=65_000,
        chaos=Chaos(error_status=503),
        rate_limit=RateLimit(100, 60_000, name="payments"),
    )
    body = fault.to_json()
    assert body["id"] == "fault-a" and body["priority"] == 100
    assert body["times"] == {"remainingTimes": 3, "unlimited": False}
    assert body["timeToLive"] == {"timeUnit": "MILLISECONDS", "timeToLive": 65_000, "unlimited": False}
    assert body["chaos"] == {"errorStatus": 503}
    assert body["rateLimit"] == {
        "algorithm": "fixed_window",
        "limit": 100,
        "windowMillis": 60_000,
        "errorStatus": 429,
        "name": "payments",
    }
    json.dumps(body)  # plain JSON all the way down


def test_drop_connection_is_an_error_action():
    body = Expectation(RequestMatcher(path="/x"), drop_connection=True).to_json()
    assert body["httpError"] == {"dropConnection": True} and "httpResponse" not in body


def test_forward_is_an_action_of_its_own():
    body = Expectation(RequestMatcher(headers={"Host": "api(:8000)?"}), forward=Forward("api-real", 8000)).to_json()
    assert body["httpForward"] == {"host": "api-real", "port": 8000, "scheme": "HTTP"} and "httpResponse" not in body


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"response": Response(), "drop_connection": True},
        {"response": Response(), "forward": Forward("a", 1)},
        {"response": Response(), "times": 0},
        {"response": Response(), "ttl_ms": 0},
    ],
)
def test_impossible_expectations_are_refused(options):
    with pytest.raises(ValueError):
        Expectation(RequestMatcher(path="/x"), **options)


def test_journal_entries_parse_into_frozen_records():
    exchange = RecordedExchange.from_json(
        {
            "httpRequest": {
                "method": "POST",
                "path": "/v1/charges",
                "headers": {"Idempotency-Key": ["k1"]},
                "queryStringParameters": {"expand": ["a", "b"]},
                "body": {"type": "JSON", "json": {"x": 1}},
            },
            "httpResponse": {"statusCode": 429, "headers": {"Retry-After": ["2"]}},
            "timestamp": "2026-11-29 19:02:51.546",
        }
    )
    assert exchange.status == 429 and exchange.response_headers == {"Retry-After": ("2",)}
    assert exchange.timestamp.isoformat() == "2026-11-29T19:02:51.546000"
    assert exchange.request.header("idempotency-key") == "k1" and exchange.request.header("x") is None
    assert exchange.request.query == {"expand": ("a", "b")}
    assert json.loads(exchange.request.body) == {"x": 1}
    assert RecordedRequest.from_json({"method": "GET", "path": "/", "body": "plain"}).body == "plain"


def test_active_expectations_report_remaining_times():
    assert ActiveExpectation.from_json({"id": "a", "times": {"remainingTimes": 2}}).remaining_times == 2
    assert ActiveExpectation.from_json({"id": "b", "times": {"unlimited": True}}).remaining_times is None
