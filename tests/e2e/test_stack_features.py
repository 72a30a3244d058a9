"""Replicas behind one entry point, secret files, container faults and every toxic kind,
on a small stack of real containers."""

from __future__ import annotations

import hashlib
import http.client
import json
import urllib.parse
from pathlib import Path

from e2e_support import NOTHING_LEFT, leftovers, wait_for

PROFILE = """
envsim: 1
name: features
services:
  web:
    image: python:3.11-slim
    command:
      - python
      - -c
      - |
        import hashlib, http.server, signal, socket, sys
        # as a container's first process it would ignore SIGTERM: each replica's stop and
        # restart would wait out the engine's 10 s before SIGKILL
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with open("/run/secrets/token", "rb") as secret:
                    digest = hashlib.sha256(secret.read()).hexdigest()
                body = f"{socket.gethostname()} {digest}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
    ports: {http: 8080}
    publish: [http]
    replicas: 2
    health: {http: /, interval: 200ms, start_period: 20s}
    secret_files: {token: /run/secrets/token}
  cache: {image: "redis:7", ports: {redis: 6379}, health: {tcp: redis}}
credentials:
  token: {generate: token}
failure_modes:
  web-pause: {target: web, container: pause}
  web-kill: {target: web, container: kill}
  web-stop: {target: web, container: stop}
  web-restart: {target: web, container: restart}
  cache-narrow: {target: cache, bandwidth: 1k}
  cache-hangs: {target: cache, timeout: 1s}
  cache-resets: {target: cache, reset_peer: 0s, direction: upstream}
  cache-slow-close: {target: cache, slow_close: 1s}
  cache-sliced: {target: cache, slicer: {average_size: 8, size_variation: 4, delay: 1ms}}
  cache-limited: {target: cache, limit_data: 1k, direction: both, toxicity: 50%}
"""


def get(url: str, timeout: float = 3.0) -> tuple[int, str]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", "/", headers={"Connection": "close"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def answers(url: str) -> bool:
    try:
        return get(url, timeout=1.0)[0] == 200
    except OSError:
        return False


def test_replicas_secrets_container_faults_and_toxics(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    (project / "profiles" / "features.yaml").write_text(PROFILE, encoding="utf-8")
    up = cli.run("up", "features", "--name", stack_name)
    assert up.returncode == 0, up.stderr
    (status,) = json.loads(cli.run("status", "--name", stack_name, "--json").stdout)
    entry = next(p["entry_url"] for p in status["proxies"] if p["name"] == "web-http")
    toxiproxy = status["toxiproxy_urls"][0]

    # One entry point, two replicas: new connections reach both.
    hosts, digests = set(), set()
    for _ in range(40):
        code, body = get(entry)
        assert code == 200
        host, digest = body.split()
        hosts.add(host)
        digests.add(digest)
    assert len(hosts) == 2, hosts

    # The secret reached each replica as a file, and is the one kept in the stack's state.
    state = Path(cli.env["ENVSIM_STATE_DIR"]) / "stacks" / stack_name / "secrets.json"
    token = json.loads(state.read_text())["token"]
    assert digests == {hashlib.sha256(token.encode()).hexdigest()}
    assert token not in up.stdout + up.stderr

    def fault(action: str, name: str) -> None:
        result = cli.run("fault", action, name, "--name", stack_name, "-p", "features")
        assert result.returncode == 0, result.stderr

    # Container faults take the service away; clearing brings it back.
    for name in ("web-pause", "web-kill", "web-stop"):
        fault("apply", name)
        assert not answers(entry), name
        listed = cli.run("fault", "list", "--name", stack_name, "-p", "features").stdout
        assert f"ACTIVE {name}" in listed, listed
        fault("clear", name)
        wait_for(lambda: answers(entry), timeout=30, what=f"web back after {name}")
    fault("apply", "web-restart")
    wait_for(lambda: answers(entry), timeout=30, what="web back after a restart")

    # Every toxic kind is accepted by the real Toxiproxy with the planned attributes.
    def toxics() -> dict[str, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", int(toxiproxy.rsplit(":", 1)[1]), timeout=5)
        connection.request("GET", "/proxies/cache-redis/toxics")
        found = json.loads(connection.getresponse().read())
        connection.close()
        return {t["name"]: t for t in found}

    expected = {
        "cache-narrow": ("bandwidth", {"rate": 1}),
        "cache-hangs": ("timeout", {"timeout": 1000}),
        "cache-resets": ("reset_peer", {"timeout": 0}),
        "cache-slow-close": ("slow_close", {"delay": 1000}),
        "cache-sliced": ("slicer", {"average_size": 8, "size_variation": 4, "delay": 1000}),
        "cache-limited": ("limit_data", {"bytes": 1024}),
    }
    for name, (kind, attributes) in expected.items():
        fault("apply", name)
        present = toxics()
        assert present, name
        for toxic in present.values():
            assert toxic["type"] == kind
            assert toxic["attributes"] == attributes
        if name == "cache-limited":
            assert {t["stream"] for t in present.values()} == {"upstream", "downstream"}
            assert {t["toxicity"] for t in present.values()} == {0.5}
        if name == "cache-resets":
            assert {t["stream"] for t in present.values()} == {"upstream"}
        fault("clear", name)
        assert toxics() == {}

    assert cli.run("down", "--name", stack_name).returncode == 0
    assert leftovers(engine, stack_name) == NOTHING_LEFT
