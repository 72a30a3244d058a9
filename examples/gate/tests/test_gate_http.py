"""The HTTP front of the gate app on a loopback port, with a mocked Gate behind it."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from unittest import mock

import pytest
from gate.app import Gate, HttpError
from gate.server import PoolHTTPServer, make_handler
from gate.sessions import MemorySessions
from gate.settings import Settings


@pytest.fixture
def served():
    db = mock.MagicMock()
    gate = Gate(Settings(), db, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), MemorySessions())
    server = PoolHTTPServer(("127.0.0.1", 0), make_handler(gate), workers=2)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield gate, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def call(url, method="GET", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read()), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def test_health_and_unknown_route(served):
    gate, base = served
    assert call(base + "/healthz")[:2] == (200, {"status": "ok", "variant": "buggy"})
    assert call(base + "/nope")[0] == 404


def test_login_sets_a_cookie_the_cart_reads(served):
    gate, base = served
    status, payload, headers = call(base + "/login", "POST", {"user": "ann"})
    assert status == 200 and headers["Set-Cookie"].startswith(f"sid={payload['session']}")
    status, cart, _ = call(base + "/cart", headers={"Cookie": f"sid={payload['session']}"})
    assert (status, cart["user"]) == (200, "ann")
    assert call(base + "/cart")[0] == 401


def test_errors_map_to_statuses(served):
    gate, base = served
    gate.carrier.rates.side_effect = __import__("gate.thirdparty", fromlist=["x"]).UpstreamError(
        503, "carrier rates: 503"
    )
    status, payload, _ = call(base + "/quote?sku=A1")
    assert status == 502 and "503" in payload["error"]
    gate.db.fetch.side_effect = HttpError(409, "sold out")
    assert call(base + "/buy", "POST", {"sku": "R1"})[0] == 409
