"""Stub services on a real engine with real MockServer 7.6 behind real Toxiproxy: every answer
is measured through the stub's published (proxied) address, as the app under test reaches it."""

from __future__ import annotations

import http.client
import time
import uuid
from urllib.parse import urlsplit

import pytest

# one MockServer JVM starting at a time: its start and first expectations take seconds of CPU
pytestmark = pytest.mark.xdist_group("mockserver")

PROFILE = """
envsim: 1
name: stubs
services:
  payments:
    stub:
      routes:
        - {method: POST, path: /v1/charges, status: 201, body: {id: ch_1, status: succeeded},
           headers: {Request-Id: req_1}, match: {json: {currency: eur}}}
        - {method: GET, path: "/v1/charges/{id}", body: {id: ch_1, status: succeeded}}
      auth: {bearer: "${secret.payments_token}"}
      version: {header: Api-Version, current: "2024-06", deprecated: ["2023-01"],
                sunset: "Sat, 01 Jun 2024 00:00:00 GMT"}
    publish: [http]
  quota:
    stub:
      port: 9090
      routes: [{method: GET, path: /ping, body: pong}]
      rate_limit: {requests: 5, per: 1m}
    publish: [http]
  catalog:
    stub: {port: 8081, openapi: ../apis/catalog.yaml}
    publish: [http]
credentials:
  payments_token: {generate: token}
failure_modes:
  payments-flaky: {target: payments, http_errors: {503: 10%}, retry_after: 2s}
  payments-slow: {target: payments, latency: 300ms}
"""

OPENAPI = """
openapi: 3.0.0
info: {title: catalog, version: "1"}
paths:
  /items/{sku}:
    get:
      operationId: getItem
      parameters: [{name: sku, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: one item
          content:
            application/json:
              example: {sku: A1, name: Anvil, price: 12.5}
"""

CALLS = 1000


class Caller:
    """Keep-alive HTTP calls to one address, reopened when the server closes the connection."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, headers: dict | None = None, body: str | None = None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=15)
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            text = response.read().decode()
        except (http.client.HTTPException, ConnectionError):
            self.close()
            return None, {}, ""
        if response.will_close:
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@pytest.fixture(scope="module")
def stack(tmp_path_factory, docker_client):
    from envsim.api import up

    repo = tmp_path_factory.mktemp("stub-repo")
    (repo / ".git").mkdir()
    (repo / "profiles").mkdir()
    (repo / "profiles/stubs.yaml").write_text(PROFILE)
    (repo / "apis").mkdir()
    (repo / "apis/catalog.yaml").write_text(OPENAPI)
    env = {"ENVSIM_STATE_DIR": str(tmp_path_factory.mktemp("state")), "PATH": "/usr/bin:/bin"}
    running = up(repo / "profiles/stubs.yaml", f"it-stubs-{uuid.uuid4().hex[:8]}", env=env)
    try:
        yield running
    finally:
        running.down()


@pytest.fixture
def payments(stack):
    caller = Caller(stack.endpoint("payments"))
    yield caller
    caller.close()


def bearer(stack, token: str | None = None, **headers: str) -> dict:
    return {"Authorization": f"Bearer {token or stack.secret('payments_token')}", **headers}


def test_a_route_answers_through_toxiproxy_with_its_status_headers_and_body(stack, payments):
    status, headers, body = payments.call(
        "POST", "/v1/charges", bearer(stack, **{"Content-Type": "application/json"}), '{"amount": 5, "currency": "eur"}'
    )
    assert (status, headers["request-id"]) == (201, "req_1") and '"ch_1"' in body
    assert payments.call("GET", "/v1/charges/ch_9", bearer(stack))[0] == 200
    # not matching the JSON body, or an undeclared path: a JSON 404 like a real API's
    status, headers, body = payments.call(
        "POST", "/v1/charges", bearer(stack, **{"Content-Type": "application/json"}), '{"currency": "usd"}'
    )
    assert status == 404 and headers["content-type"].startswith("application/json") and "error" in body
    assert payments.call("GET", "/v1/refunds", bearer(stack))[0] == 404


def test_an_openapi_stub_serves_each_operations_example_and_404s_the_rest(stack):
    caller = Caller(stack.endpoint("catalog"))
    try:
        status, headers, body = caller.call("GET", "/items/B2")
        missing = caller.call("GET", "/orders")
    finally:
        caller.close()
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert '"Anvil"' in body
    assert missing[0] == 404 and "error" in missing[2]


def test_missing_token_is_401_with_www_authenticate_and_a_wrong_one_403(stack, payments):
    status, headers, _ = payments.call("GET", "/v1/charges/ch_1")
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert payments.call("GET", "/v1/charges/ch_1", bearer(stack, "not-the-token"))[0] == 403
    assert payments.call("GET", "/v1/charges/ch_1", bearer(stack))[0] == 200


def test_versions_deprecated_410_unknown_400_current_200(stack, payments):
    status, headers, body = payments.call("GET", "/v1/charges/ch_1", bearer(stack, **{"Api-Version": "2023-01"}))
    assert status == 410 and headers["deprecation"] == "true" and headers["sunset"].endswith("GMT")
    assert "2024-06" in body
    assert payments.call("GET", "/v1/charges/ch_1", bearer(stack, **{"Api-Version": "2019-02"}))[0] == 400
    assert payments.call("GET", "/v1/charges/ch_1", bearer(stack, **{"Api-Version": "2024-06"}))[0] == 200


def test_a_quota_of_n_answers_request_n_plus_1_with_429_and_retry_after(stack):
    caller = Caller(stack.endpoint("quota"))
    try:
        assert [caller.call("GET", "/ping")[0] for _ in range(5)] == [200] * 5
        status, headers, _ = caller.call("GET", "/ping")
    finally:
        caller.close()
    assert status == 429
    assert 0 < int(headers["retry-after"]) <= 60
    assert headers["x-ratelimit-limit"] == "5" and headers["x-ratelimit-remaining"] == "0"


def error_share(stack, payments, calls: int = CALLS) -> tuple[float, dict]:
    statuses = [payments.call("GET", "/v1/charges/ch_1", bearer(stack))[0] for _ in range(calls)]
    counts = {s: statuses.count(s) for s in set(statuses)}
    return counts.get(503, 0) / calls, counts


def test_http_errors_fault_fails_ten_percent_while_applied_and_none_after_clear(stack, payments):
    with stack.fault("payments-flaky"):
        assert stack.active_faults() == ["payments-flaky"]
        share, counts = error_share(stack, payments)
        retry_after = {
            payments.call("GET", "/v1/charges/ch_1", bearer(stack))[1].get("retry-after") for _ in range(60)
        } - {None}
    print(f"\n503 share with the fault applied: {share:.3f} over {CALLS} calls {counts}")
    assert 0.07 <= share <= 0.13, counts
    assert set(counts) == {200, 503}
    assert retry_after == {"2"}
    assert stack.active_faults() == []
    after, counts = error_share(stack, payments)
    assert after == 0.0 and counts == {200: CALLS}
    # auth still comes first while a fault is on: a missing token is never a 503
    with stack.fault("payments-flaky"):
        assert {payments.call("GET", "/v1/charges/ch_1")[0] for _ in range(50)} == {401}


def test_chaos_expires_by_itself_after_its_time_to_live(stack, payments):
    from envsim.engine.fault_switch import StackFaults, http_fault_ttl

    # a switch that is never told to clear, as when envsim is killed during the fault window
    switch = StackFaults(stack.engine, stack.faults, stack.handle.toxiproxy_urls, stub_urls=stack.handle.stub_urls)
    ttl = http_fault_ttl(0.5)
    assert 5.0 <= ttl <= 6.0
    switch.clear_all()  # clearing what is not applied is fine, as on every exit path
    switch.apply("payments-flaky", duration=0.5)
    applied = time.monotonic()
    assert switch.active() == ["payments-flaky"]
    during, _ = error_share(stack, payments, 200)
    assert during > 0.0 or time.monotonic() - applied > ttl  # it was on (unless the calls outlasted it)
    time.sleep(max(0.0, ttl - (time.monotonic() - applied)) + 0.5)
    assert switch.active() == []
    after, counts = error_share(stack, payments, 300)
    assert after == 0.0, counts
    switch.clear("payments-flaky")  # expired already: clearing it again is fine


def test_tcp_faults_apply_to_a_stub_too(stack, payments):
    def timed() -> float:
        started = time.monotonic()
        assert payments.call("GET", "/v1/charges/ch_1", bearer(stack))[0] == 200
        return time.monotonic() - started

    payments.close()
    with stack.fault("payments-slow"):
        slow = sorted(timed() for _ in range(5))[2]
    fast = sorted(timed() for _ in range(5))[2]
    assert slow >= 0.3 and fast < 0.2, (slow, fast)
