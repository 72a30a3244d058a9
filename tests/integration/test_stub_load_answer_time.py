"""Loading a stub's expectations waits for a MockServer that answers late, and says so when it
does not answer at all.

The issue seen: on a busy 2-core machine a freshly started MockServer (its first expectations
load its JSON schema validator) took longer than 10 s to answer the expectations' PUT, and
`up` failed with "MockServer refused its expectations (... answered None)". The server here is
a loopback HTTP server that answers MockServer's admin calls, the expectations' PUT after a
set delay.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from envsim.config.profile_model import StubRoute, StubSpec
from envsim.engine.stubs import load_stub
from envsim.errors import EnvironmentProblem

pytestmark = pytest.mark.docker_free

SPEC = StubSpec(routes=(StubRoute("GET", "/v1/ping"),))


class _LateExpectations(BaseHTTPRequestHandler):
    delay = 0.0  # seconds before the expectations' PUT is answered

    def do_PUT(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
        if self.path == "/mockserver/status":
            self._answer(200, {"version": "5.15.0", "ports": [1080]})
        elif self.path == "/mockserver/expectation":
            time.sleep(self.delay)
            self._answer(201, [{"id": item.get("id", "")} for item in body])
        else:
            self._answer(200, None)

    def _answer(self, status: int, payload: object) -> None:
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped waiting, as the no-answer test has it do

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def late_server() -> Iterator[tuple[str, type[_LateExpectations]]]:
    handler = type("Handler", (_LateExpectations,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_expectations_answered_late_are_loaded(late_server):
    url, handler = late_server
    handler.delay = 1.5
    started = time.monotonic()
    assert load_stub(url, "payments", SPEC, {}, timeout=5.0) >= 1
    assert time.monotonic() - started >= 1.5


def test_no_answer_is_named_as_such_not_as_a_refusal(late_server):
    url, handler = late_server
    handler.delay = 3.0
    with pytest.raises(EnvironmentProblem) as raised:
        load_stub(url, "payments", SPEC, {}, timeout=0.5)
    message = str(raised.value)
    assert message.startswith("stub payments: MockServer gave no answer (timeout 0.5s): "), message
    assert "PUT /mockserver/expectation" in message and "timed out" in message, message
    assert "refused" not in message
