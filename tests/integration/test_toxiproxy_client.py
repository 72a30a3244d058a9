"""envsim's Toxiproxy client against a real Toxiproxy container: effects are measured, not assumed.

The echo server is a container on Toxiproxy's network; the test talks to the proxy through
its port published on 127.0.0.1.
"""

from __future__ import annotations

import socket
import statistics
import time

import pytest

from envsim.engine.toxiproxy_client import Proxy, Toxic, ToxiproxyClient, ToxiproxyError

ECHO_SERVER = """
import socket, threading
def serve(conn):
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)
listener = socket.create_server(("0.0.0.0", 7000))
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""
LISTEN_PORT = 21000


@pytest.fixture(scope="module")
def echo_upstream(run_container, toxiproxy_server, prepared_images):
    container = run_container(
        prepared_images["python:3.11-slim"],  # by id: a stand-in runs under envsim's own name
        network=toxiproxy_server.network,
        aliases=["echo"],
        command=["python", "-u", "-c", ECHO_SERVER],
    )
    yield "echo:7000"
    container.remove(force=True, v=True)


def round_trips(port: int, count: int = 5) -> list[float]:
    """Seconds per echo of a small message over one connection through the proxy."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        timings = []
        for _ in range(count):
            started = time.monotonic()
            conn.sendall(b"ping\n")
            received = b""
            while len(received) < 5:
                chunk = conn.recv(64)
                if not chunk:
                    raise ConnectionError("connection closed by the proxy")
                received += chunk
            timings.append(time.monotonic() - started)
            assert received == b"ping\n"
        return timings


def wait_for_echo(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            round_trips(port, 1)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def echo_proxy(toxiproxy, echo_upstream):
    proxy = toxiproxy.api.create_proxy(Proxy("echo", f"0.0.0.0:{LISTEN_PORT}", echo_upstream))
    host_port = toxiproxy.ports[LISTEN_PORT]
    wait_for_echo(host_port)
    return proxy, host_port


def test_version_is_the_pinned_release(toxiproxy):
    assert toxiproxy.api.version() == "2.12.0"


def test_latency_toxic_shows_in_measured_round_trips_and_removal_restores_speed(toxiproxy, echo_proxy):
    _, port = echo_proxy
    baseline = statistics.median(round_trips(port))
    assert baseline < 0.1

    toxic = toxiproxy.api.add_toxic("echo", Toxic("latency", {"latency": 200, "jitter": 0}, name="slow"))
    assert toxic == Toxic("latency", {"latency": 200, "jitter": 0}, "slow", "downstream", 1.0)
    slowed = statistics.median(round_trips(port))
    assert 0.19 <= slowed < 0.6

    toxiproxy.api.remove_toxic("echo", "slow")
    assert toxiproxy.api.toxics("echo") == []
    assert statistics.median(round_trips(port)) < 0.1


def test_update_toxic_changes_the_measured_latency(toxiproxy, echo_proxy):
    _, port = echo_proxy
    toxiproxy.api.add_toxic("echo", Toxic("latency", {"latency": 100}, name="slow", stream="upstream"))
    toxiproxy.api.update_toxic("echo", "slow", attributes={"latency": 400})
    assert toxiproxy.api.toxics("echo")[0].attributes["latency"] == 400
    assert statistics.median(round_trips(port, 3)) >= 0.39


def test_disabled_proxy_refuses_connections_and_reset_enables_it(toxiproxy, echo_proxy):
    _, port = echo_proxy
    assert toxiproxy.api.disable_proxy("echo").enabled is False
    with pytest.raises(OSError):
        round_trips(port, 1)
    toxiproxy.api.add_toxic("echo", Toxic("latency", {"latency": 300}))
    toxiproxy.api.reset()
    assert toxiproxy.api.proxy("echo").enabled is True
    assert toxiproxy.api.toxics("echo") == []
    wait_for_echo(port, timeout=10)
    assert statistics.median(round_trips(port)) < 0.1


def test_populate_is_idempotent(toxiproxy, echo_upstream):
    wanted = [Proxy("a", "0.0.0.0:21001", echo_upstream), Proxy("b", "0.0.0.0:21002", echo_upstream)]
    first = toxiproxy.api.populate(wanted)
    second = toxiproxy.api.populate(wanted)
    assert sorted(p.name for p in first) == sorted(p.name for p in second) == ["a", "b"]
    assert set(toxiproxy.api.proxies()) == {"a", "b"}
    assert toxiproxy.api.proxy("a").upstream == echo_upstream
    wait_for_echo(toxiproxy.ports[21001])


def test_errors_carry_status_and_body(toxiproxy, echo_proxy):
    with pytest.raises(ToxiproxyError) as missing:
        toxiproxy.api.add_toxic("no-such-proxy", Toxic("latency", {"latency": 10}))
    assert missing.value.status == 404
    assert "proxy not found" in missing.value.body

    with pytest.raises(ToxiproxyError) as duplicate:
        toxiproxy.api.create_proxy(Proxy("echo", f"0.0.0.0:{LISTEN_PORT}", "echo:7000"))
    assert duplicate.value.status == 409
    assert "already exists" in str(duplicate.value)

    with pytest.raises(ToxiproxyError) as bad_type:
        toxiproxy.api.add_toxic("echo", Toxic("no-such-toxic", {}))
    assert bad_type.value.status == 400

    toxiproxy.api.delete_proxy("echo")
    with pytest.raises(ToxiproxyError) as gone:
        toxiproxy.api.proxy("echo")
    assert gone.value.status == 404


@pytest.mark.docker_free
def test_no_server_is_an_error_without_status_within_the_timeout():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    client = ToxiproxyClient(f"http://127.0.0.1:{free_port}", timeout=2)
    started = time.monotonic()
    with pytest.raises(ToxiproxyError) as refused:
        client.version()
    assert refused.value.status is None
    assert time.monotonic() - started < 3
