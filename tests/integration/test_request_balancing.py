"""Replicas behind one entry point share requests as a production load balancer spreads them.

The issue seen: with connection balancing a keep-alive client stuck to one replica, so an
app keeping sessions in process memory passed a login -> use-session flow with 2 replicas.
"""

from __future__ import annotations

import http.client
import json
import os
import uuid
from pathlib import Path

import pytest

from envsim import api
from envsim.engine.docker_engine import labeled_containers, labeled_networks

# Sessions in this process's memory: the bug a second replica exposes.
SESSION_APP = r"""
import json, os, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
SESSIONS = {}
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        if self.path == "/healthz":
            return self.send(200, {"ok": True})
        user = SESSIONS.get(self.headers.get("X-Session", ""))
        return self.send(200, {"user": user, "host": os.uname().nodename}) if user else self.send(401, {"error": "no session"})
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        session = uuid.uuid4().hex
        SESSIONS[session] = "alice"
        self.send(200, {"session": session})
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


def _profile(directory: Path, name: str, replicas: int, balance: str | None) -> Path:
    balance_line = f"    balance: {balance}\n" if balance else ""
    command = json.dumps(["python", "-c", SESSION_APP])
    (directory / "profiles").mkdir(parents=True, exist_ok=True)
    path = directory / "profiles" / f"{name}.yaml"
    path.write_text(
        f"envsim: 1\nname: {name}\nservices:\n  app:\n    image: python:3.11-slim\n"
        f"    command: {command}\n    ports: {{http: 8000}}\n    publish: [http]\n"
        f"    health: {{http: /healthz, interval: 1s}}\n    replicas: {replicas}\n{balance_line}"
    )
    return path


def _session_flow(url: str, uses: int = 20) -> tuple[int, set[str]]:
    """Log in once, then use the session `uses` times on the same keep-alive connection:
    (how many uses were refused, the replica host names that answered)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", "/login", body=b"{}", headers={"Content-Type": "application/json"})
        session = json.loads(connection.getresponse().read())["session"]
        refused, hosts = 0, set()
        for _ in range(uses):
            connection.request("GET", "/me", headers={"X-Session": session})
            answer = connection.getresponse()
            body = json.loads(answer.read())
            if answer.status == 401:
                refused += 1
            else:
                hosts.add(body["host"])
        return refused, hosts
    finally:
        connection.close()


@pytest.fixture
def state_env(tmp_path):
    return {**os.environ, "ENVSIM_STATE_DIR": str(tmp_path / "state")}


@pytest.mark.parametrize(
    "replicas, balance, refused",
    [
        (2, None, True),  # HTTP replicas: each request balanced, the in-memory session is lost
        (1, None, False),  # one replica: the same app passes
        (2, "connection", False),  # per-connection balancing hides the bug (the old behaviour)
    ],
)
def test_in_memory_sessions_break_behind_a_request_balancer(tmp_path, state_env, replicas, balance, refused):
    name = f"lb-{uuid.uuid4().hex[:8]}"
    path = _profile(tmp_path, name, replicas, balance)
    client = None
    try:
        with api.up(path, name, env=state_env) as stack:
            client = stack.engine
            balancers = [c for c in labeled_containers(client, name) if c.labels.get("envsim.role") == "balancer"]
            assert len(balancers) == (1 if refused else 0)
            count, hosts = _session_flow(stack.endpoint("app"))
        if refused:
            assert count >= 5, count  # round robin over 2 replicas: about half the uses
        else:
            assert count == 0 and len(hosts) == 1
    finally:
        api.down(name, env=state_env)
    assert client is not None
    assert labeled_containers(client, name) == [] and labeled_networks(client, name) == []
