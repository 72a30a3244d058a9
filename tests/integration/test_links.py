"""Per-link faults and partitions on a real engine: two clients of one Redis, each measuring
its own round trip to `cache:6379` from inside its container (the address in its env is the
same for both; only its link differs).

The issue seen: a fault on a service reached every client of it (one proxy per service), so
one client's degraded link, or two services losing each other while others keep working,
could not be expressed.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from envsim import api
from envsim.engine.docker_engine import labeled_containers, labeled_networks
from envsim.engine.toxiproxy_client import ToxiproxyClient

pytestmark = pytest.mark.alone  # compares measured round trips to 50 ms

# GET /ping: one Redis PING to cache:6379 on a fresh connection, timed inside the container.
PROBE_APP = r"""
import json, os, socket, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        if self.path == "/healthz":
            return self.send(200, {"ok": True})
        started = time.monotonic()
        try:
            with socket.create_connection((os.environ["CACHE_HOST"], 6379), timeout=1.5) as conn:
                conn.settimeout(1.5)
                conn.sendall(b"PING\r\n")
                answer = conn.recv(64)
            if not answer.startswith(b"+PONG"):
                raise OSError(f"answered {answer!r}")
        except OSError as error:
            return self.send(502, {"error": str(error) or type(error).__name__})
        return self.send(200, {"ms": (time.monotonic() - started) * 1000})
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


def _client(name: str) -> str:
    command = json.dumps(["python", "-c", PROBE_APP])
    return (
        f"  {name}:\n    image: python:3.11-slim\n    command: {command}\n"
        "    env: {CACHE_HOST: cache}\n    ports: {http: 8000}\n    publish: [http]\n"
        "    health: {http: /healthz, interval: 1s}\n    depends_on: [cache]\n"
    )


def _profile(directory: Path, name: str) -> Path:
    (directory / "profiles").mkdir(parents=True, exist_ok=True)
    path = directory / "profiles" / f"{name}.yaml"
    path.write_text(
        f"envsim: 1\nname: {name}\nservices:\n"
        '  cache: {image: "redis:7", ports: {redis: 6379}, health: {tcp: redis}}\n'
        + _client("near")
        + _client("far")
        + "failure_modes:\n"
        "  near-slow: {target: cache, from: [near], latency: 300ms}\n"
        "  near-cut: {partition: {from: near, to: cache}}\n"
        "  cache-slow: {target: cache, latency: 300ms}\n"
        "  near-refused: {target: cache, from: [near], down: true}\n"
    )
    return path


def _median(url: str, count: int = 9) -> float:
    """The median round trip in ms; every ping must answer (a 502 raises)."""
    times = []
    for _ in range(count):
        with urllib.request.urlopen(url + "/ping", timeout=10) as answer:
            times.append(json.loads(answer.read())["ms"])
    return statistics.median(times)


def _ping_outcomes(url: str, count: int = 3) -> list[str]:
    outcomes = []
    for _ in range(count):
        try:
            with urllib.request.urlopen(url + "/ping", timeout=10) as answer:
                outcomes.append("ok" if answer.status == 200 else str(answer.status))
        except urllib.error.HTTPError as error:
            outcomes.append(str(error.code))
    return outcomes


@pytest.fixture(scope="module")
def link_stack(tmp_path_factory):
    """One stack for the module: each test clears what it applies (and checks that it did)."""
    directory = tmp_path_factory.mktemp("links")
    state_env = {**os.environ, "ENVSIM_STATE_DIR": str(directory / "state")}
    name = f"links-{uuid.uuid4().hex[:8]}"
    path = _profile(directory, name)
    engine = None
    try:
        with api.up(path, name, env=state_env) as stack:
            engine = stack.engine
            yield stack
    finally:
        api.down(name, env=state_env)
        if engine is not None:
            assert labeled_containers(engine, name) == [] and labeled_networks(engine, name) == []


def test_a_fault_from_one_client_slows_that_client_only(link_stack):
    near, far = link_stack.endpoint("near"), link_stack.endpoint("far")
    before = {"near": _median(near), "far": _median(far)}
    with link_stack.fault("near-slow"):
        during = {"near": _median(near), "far": _median(far)}
    after = {"near": _median(near), "far": _median(far)}
    print(f"median ms before {before}, during near-slow {during}, after {after}")
    # the named client's round trip rises by about the fault's 300 ms ...
    assert 250 <= during["near"] - before["near"] <= 450, (before, during)
    # ... while the other client of the same service keeps its own
    assert abs(during["far"] - before["far"]) < 50, (before, during)
    assert after["near"] - before["near"] < 50, (before, after)


def test_a_fault_without_from_still_reaches_every_client_through_its_link(link_stack):
    near, far = link_stack.endpoint("near"), link_stack.endpoint("far")
    before = {"near": _median(near), "far": _median(far)}
    with link_stack.fault("cache-slow"):
        during = {"near": _median(near), "far": _median(far)}
    print(f"median ms before {before}, during cache-slow {during}")
    for client in ("near", "far"):
        assert 250 <= during[client] - before[client] <= 450, (client, before, during)


def test_a_partition_cuts_one_client_off_and_clears_after(link_stack):
    near, far = link_stack.endpoint("near"), link_stack.endpoint("far")
    assert _ping_outcomes(near) == ["ok"] * 3
    with link_stack.fault("near-cut"):
        assert link_stack.active_faults() == ["near-cut"]
        cut, other = _ping_outcomes(near), _ping_outcomes(far)
    print(f"during near-cut: near {cut}, far {other}")
    assert cut == ["502"] * 3  # silence until the client's own timeout, then its error
    assert other == ["ok"] * 3
    assert _ping_outcomes(near) == ["ok"] * 3
    assert link_stack.active_faults() == []
    # the link is its own proxy on near's own Toxiproxy, and clearing left no toxic on any proxy
    links = {t.name: t.client for t in link_stack.plan.toxiproxies if t.client is not None}
    assert list(links.values()) == ["near"]
    toxics = {
        (toxiproxy, proxy.name): [toxic.name for toxic in proxy.toxics]
        for toxiproxy, url in link_stack.handle.toxiproxy_urls.items()
        for proxy in ToxiproxyClient(url).proxies().values()
    }
    assert ("link.near.cache.redis" in {proxy for _, proxy in toxics}) and set(links) <= {t for t, _ in toxics}
    assert all(found == [] for found in toxics.values()), toxics


def test_down_from_one_client_refuses_that_client_only(link_stack):
    near, far = link_stack.endpoint("near"), link_stack.endpoint("far")
    with link_stack.fault("near-refused"):
        assert link_stack.active_faults() == ["near-refused"]
        started = time.monotonic()
        refused = _ping_outcomes(near)
        took = time.monotonic() - started
        other = _ping_outcomes(far)
    print(f"during near-refused: near {refused} in {took:.2f}s, far {other}")
    assert refused == ["502"] * 3 and other == ["ok"] * 3
    assert took < 1.5  # refused at once, not waited out like a partition (1.5 s per ping)
    assert _ping_outcomes(near) == ["ok"] * 3 and link_stack.active_faults() == []
