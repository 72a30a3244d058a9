"""Wait strategies against real servers on 127.0.0.1 (no Docker needed).

Readiness changes are driven by request counts and events, not by timing; elapsed times are
only checked for sanity (a cancelled wait returns long before its deadline).
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from envsim.engine.health import (
    AllReady,
    CommandReady,
    HttpReady,
    TcpReady,
    WaitPolicy,
    wait_all,
    wait_until,
)

pytestmark = [pytest.mark.timeout(60), pytest.mark.docker_free]

QUICK = WaitPolicy(deadline=10, interval=0.05, attempt_timeout=2)
SHORT = WaitPolicy(deadline=0.5, interval=0.05, attempt_timeout=0.5)


class HealthServer:
    """An HTTP server whose /healthz answers 503 until `ready_after` requests were seen."""

    def __init__(self, ready_after: int = 0, port: int = 0):
        self.requests = 0
        self.ready_after = ready_after
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests += 1
                if self.path == "/redirect":
                    status, body = 302, b""
                elif self.path != "/healthz":
                    status, body = 404, b"no such page"
                elif owner.requests > owner.ready_after:
                    status, body = 200, b"ok"
                else:
                    status, body = 503, b"warming up"
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def listener():
    """A TCP server that accepts and keeps connections open (closes them at teardown)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                accepted.append(connection)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture
def closing_listener():
    """A TCP server that accepts and closes at once, like a published port with no backend."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def accept_and_close():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                connection.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


# --------------------------------------------------------------------------- http


def test_http_ready_when_the_server_answers_200():
    with HealthServer() as server:
        result = wait_until(HttpReady(f"http://127.0.0.1:{server.port}/healthz"), QUICK)
    assert result.ok and result.attempts == 1
    assert result.last_detail == "HTTP 200: ok"
    assert result.description.endswith("/healthz")


def test_http_becomes_ready_after_some_failed_attempts():
    with HealthServer(ready_after=3) as server:
        result = wait_until(HttpReady(f"http://127.0.0.1:{server.port}/healthz"), QUICK)
    assert result.ok
    assert result.attempts == 4


def test_http_not_ready_reports_the_last_status_at_the_deadline():
    with HealthServer(ready_after=10**9) as server:
        result = wait_until(HttpReady(f"http://127.0.0.1:{server.port}/healthz"), SHORT)
    assert not result.ok and not result.cancelled
    assert result.attempts >= 2
    assert result.last_detail == "HTTP 503: warming up"


def test_http_3xx_counts_as_ready_and_expect_can_narrow_it():
    with HealthServer() as server:
        url = f"http://127.0.0.1:{server.port}/redirect"
        assert wait_until(HttpReady(url), QUICK).ok
        narrowed = wait_until(HttpReady(url, expect=[200]), SHORT)
    assert not narrowed.ok and narrowed.last_detail == "HTTP 302"


def test_http_nothing_listening_is_connection_refused():
    result = wait_until(HttpReady(f"http://127.0.0.1:{free_port()}/healthz"), SHORT)
    assert not result.ok
    assert result.last_detail == "connection refused"


def test_http_server_that_starts_listening_later():
    port = free_port()
    started: list[HealthServer] = []

    def start_after_first_refusal():
        # Waits for the first refused attempt to have happened, then starts listening.
        first_attempt_done.wait(timeout=10)
        server = HealthServer(port=port)
        server.__enter__()
        started.append(server)

    first_attempt_done = threading.Event()
    strategy = HttpReady(f"http://127.0.0.1:{port}/healthz")

    class Observed:
        description = strategy.description

        def check(self, timeout):
            attempt = strategy.check(timeout)
            first_attempt_done.set()
            return attempt

    starter = threading.Thread(target=start_after_first_refusal)
    starter.start()
    try:
        result = wait_until(Observed(), QUICK)
    finally:
        starter.join()
        for server in started:
            server.__exit__(None, None, None)
    assert result.ok and result.attempts >= 2


# --------------------------------------------------------------------------- tcp


def test_tcp_ready_when_a_listener_accepts(listener):
    result = wait_until(TcpReady("127.0.0.1", listener, settle=0.2), QUICK)
    assert result.ok
    assert result.last_detail == "connected, stayed open"


def test_tcp_nothing_listening():
    result = wait_until(TcpReady("127.0.0.1", free_port()), SHORT)
    assert not result.ok and result.last_detail == "connection refused"


def test_tcp_settle_catches_a_port_that_accepts_then_closes(closing_listener):
    plain = wait_until(TcpReady("127.0.0.1", closing_listener), QUICK)
    settled = wait_until(TcpReady("127.0.0.1", closing_listener, settle=1.0), SHORT)
    assert plain.ok  # a bare connect is fooled
    assert not settled.ok
    assert settled.last_detail in ("connected, then closed by the remote", "connection reset by the remote")


# --------------------------------------------------------------------------- command


def test_command_fails_then_succeeds():
    seen: list[list[str]] = []

    def run(command):
        seen.append(list(command))
        if len(seen) < 3:
            return 2, "no response\n"
        return 0, "accepting connections\n"

    result = wait_until(CommandReady(run, ["pg_isready", "-U", "app"]), QUICK)
    assert result.ok and result.attempts == 3
    assert result.last_detail == "exit 0: accepting connections"
    assert seen[0] == ["pg_isready", "-U", "app"]
    assert result.description == "cmd pg_isready -U app"


def test_command_that_raises_is_a_failed_attempt():
    def run(command):
        raise FileNotFoundError("pg_isready not found")

    result = wait_until(CommandReady(run, ["pg_isready"]), SHORT)
    assert not result.ok
    assert "could not run" in result.last_detail and "pg_isready not found" in result.last_detail


def test_command_that_hangs_is_abandoned_after_the_attempt_timeout():
    release = threading.Event()

    def run(command):
        release.wait(timeout=30)
        return 0, ""

    try:
        result = wait_until(CommandReady(run, ["sleep"]), WaitPolicy(deadline=0.3, interval=0.05, attempt_timeout=0.1))
    finally:
        release.set()
    assert not result.ok
    assert result.last_detail.startswith("no answer within")


def test_a_real_process_as_the_command():
    import subprocess

    def run(command):
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return done.returncode, done.stdout + done.stderr

    assert wait_until(CommandReady(run, ["true"]), QUICK).ok
    failing = wait_until(CommandReady(run, ["sh", "-c", "echo not yet; exit 1"]), SHORT)
    assert not failing.ok and failing.last_detail == "exit 1: not yet"


# --------------------------------------------------------------------------- composing, cancel


def test_all_ready_needs_every_part(listener):
    with HealthServer(ready_after=1) as server:
        both = AllReady((TcpReady("127.0.0.1", listener), HttpReady(f"http://127.0.0.1:{server.port}/healthz")))
        result = wait_until(both, QUICK)
    assert result.ok and result.attempts == 2


def test_cancel_aborts_a_long_wait():
    cancel = threading.Event()
    first_attempt = threading.Event()

    def run(command):
        first_attempt.set()
        return 1, "down"

    canceller = threading.Thread(target=lambda: (first_attempt.wait(10), cancel.set()))
    canceller.start()
    result = wait_until(CommandReady(run, ["check"]), WaitPolicy(deadline=120, interval=1), cancel=cancel)
    canceller.join()
    assert result.cancelled and not result.ok
    assert result.elapsed < 60  # sanity: far from the deadline


def test_wait_all_reports_each_target(listener):
    with HealthServer() as server:
        results = wait_all(
            {
                "api": HttpReady(f"http://127.0.0.1:{server.port}/healthz"),
                "cache": TcpReady("127.0.0.1", listener),
                "db": TcpReady("127.0.0.1", free_port()),
            },
            {"api": QUICK, "cache": QUICK, "db": SHORT},
        )
    assert results["api"].ok and results["cache"].ok
    assert not results["db"].ok and results["db"].last_detail == "connection refused"
