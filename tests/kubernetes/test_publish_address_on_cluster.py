"""`envsim up --on kubernetes --publish-address ADDRESS`: the forwarder listens for the entry
point on that address of this machine, every admin API stays on 127.0.0.1, later commands
find the address again, and `up` without it moves the entry point back to loopback.

The address is the Docker bridge's gateway: an address of this machine that no other machine
reaches, so the test exposes nothing.
"""

from __future__ import annotations

import json
import socket
import urllib.request
from urllib.parse import urlsplit

import pytest
from cluster_stacks import app_profile, envsim, write_repo

STACK = "k8s-e2e-publish"

pytestmark = pytest.mark.kubernetes

APP = r"""
import http.server
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""

PROFILE = app_profile("publish", APP)


def _bridge_gateway() -> str:
    from envsim.engine.docker_engine import connect

    client = connect()
    try:
        return str(client.networks.get("bridge").attrs["IPAM"]["Config"][0]["Gateway"])
    finally:
        client.close()


def _status(repo, state) -> dict:
    status = envsim("status", "--name", STACK, "--json", repo=repo, state=state)
    assert status.returncode == 0, status.stderr
    [item] = json.loads(status.stdout)
    return item


def _refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_entry_point_is_forwarded_on_the_publish_address_and_the_apis_stay_on_loopback(core, tmp_path):
    address = _bridge_gateway()
    repo, state = tmp_path / "repo", tmp_path / "state"
    write_repo(repo, PROFILE, {})
    try:
        up = envsim("up", "profiles/publish.yaml", "--name", STACK, "--no-pull", "--publish-address", address,
                    repo=repo, state=state)  # fmt: skip
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"entry points published on {address}" in up.stdout
        item = _status(repo, state)  # a later command: read back from the stack's state
        assert item["publish_address"] == address
        entry = {p["name"]: p["entry_url"] for p in item["proxies"]}["app-http"]
        assert entry.startswith(f"http://{address}:")
        assert all(url.startswith("http://127.0.0.1:") for url in item["toxiproxy_urls"])
        with urllib.request.urlopen(f"{entry}/fast", timeout=20) as answer:
            assert answer.read() == b"ok"
        assert _refused("127.0.0.1", int(urlsplit(entry).port or 0))  # on that address only

        again = envsim("up", "profiles/publish.yaml", "--name", STACK, "--no-pull", repo=repo, state=state)
        assert again.returncode == 0, again.stdout + again.stderr
        item = _status(repo, state)
        assert item["publish_address"] == "127.0.0.1"
        entry = {p["name"]: p["entry_url"] for p in item["proxies"]}["app-http"]
        assert entry.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{entry}/fast", timeout=20) as answer:
            assert answer.read() == b"ok"
    finally:
        down = envsim("down", "--name", STACK, repo=repo, state=state)
    assert down.returncode == 0, down.stdout + down.stderr
