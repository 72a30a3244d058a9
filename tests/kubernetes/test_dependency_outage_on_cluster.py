"""`container: stop` and `kill` of a dependency behind Toxiproxy, on the real cluster.

A small app answers each request by a PING to its cache through Toxiproxy (`cache:6379`, a
new connection each time, 1 s timeouts). Stopping (scaled to 0) or killing (pod deleted) the
cache shows in the app's error rate inside the fault's window, and the app serves again within
seconds after it. Before envsim held Toxiproxy's proxy shut while the cache had no pod, one
dial to the gone pod kept the proxy from accepting anyone for 22 s to over two minutes
(engine/kubernetes/proxy_holds.py). No proxy is left shut after the run.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from cluster_stacks import SMALL, app_profile, envsim, kept_stack

STACK = "k8s-e2e-outage"

pytestmark = pytest.mark.kubernetes

APP = r"""
import http.server, socket
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        status = 200
        if self.path != "/healthz":
            try:
                with socket.create_connection(("cache", 6379), timeout=1) as conn:
                    conn.settimeout(1)
                    conn.sendall(b"PING\r\n")
                    status = 200 if conn.recv(16).startswith(b"+PONG") else 502
            except OSError:
                status = 503
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""

PROFILE = app_profile(
    "outage",
    APP,
    services={
        "cache": {
            "image": "redis:7",
            "ports": {"redis": 6379},
            "health": {"cmd": ["redis-cli", "ping"]},
            "resources": SMALL,
        }
    },
    failure_modes={
        "cache-stop": {"target": "cache", "container": "stop"},
        "cache-kill": {"target": "cache", "container": "kill"},
    },
)


def scenario(action: str) -> dict:
    fault = f"cache-{action}"
    return {
        "envsim": 1,
        "name": fault,
        "profile": "outage",
        "load": {
            "users": 4,
            "spawn_rate": 4,
            "duration": "30s",
            "wait": ["50ms", "100ms"],
            "tasks": [{"name": "ping", "request": "GET /ping"}],
        },
        "timeline": [{"at": "8s", "for": "6s", "fault": fault}],
        "checks": [
            {"metric": "error_rate", "during": fault, "above": "50%"},
            {"metric": "recovery_time", "after": fault, "below": "10s"},
        ],
    }


@pytest.fixture(scope="module")
def stack(core, tmp_path_factory):
    yield from kept_stack(core, tmp_path_factory, STACK, PROFILE, {name: scenario(name) for name in ("stop", "kill")})


@pytest.mark.parametrize("action", ["stop", "kill"])
def test_an_outage_of_the_cache_shows_inside_its_window_and_the_app_serves_again_within_seconds(
    stack, action, tmp_path
):
    repo, state = stack
    done = envsim(
        "run",
        f"scenarios/{action}.yaml",
        "--name",
        STACK,
        "--no-up",
        "--reports",
        str(tmp_path),
        repo=repo,
        state=state,
    )
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    measured = {r["label"]: (r["passed"], r["measured"]) for r in verdict["results"]}
    assert done.returncode == 0, (measured, done.stdout[-3000:])
    assert [r["passed"] for r in verdict["results"]] == [True, True], measured  # errors inside, back within 10 s

    # no proxy left shut: the cache answers through Toxiproxy again
    status = envsim("status", "--name", STACK, "--json", repo=repo, state=state)
    (item,) = json.loads(status.stdout)
    proxies = {p["name"]: p for p in item["proxies"]}
    assert proxies["cache-redis"]["enabled"] is True, proxies["cache-redis"]
    entry = proxies["app-http"]["entry_url"]
    with urllib.request.urlopen(f"{entry}/ping", timeout=10) as answer:
        assert answer.status == 200
