"""`envsim up | status | down --on kubernetes` with the repo's prod-like profile on the real cluster.

The CLI runs as users run it (a subprocess, its own state directory); the cluster is asked
directly what exists. Skipped when no cluster answers (see conftest.py); marker `kubernetes`.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from cluster_stacks import REPO, envsim, envsim_command, envsim_env

# prod-like's api asks for a whole core: its stacks (here and in test_run_on_cluster.py) never run side by side
pytestmark = [pytest.mark.kubernetes, pytest.mark.xdist_group("prod-like")]


def namespaces(core) -> set[str]:
    return {n.metadata.name for n in core.list_namespace(label_selector="envsim.stack").items}


def forwarder_alive(pid: int) -> bool:
    try:
        return b"envsim.engine.kubernetes.forwarder" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_prod_like_up_serves_through_its_published_port_and_down_leaves_nothing(core, tmp_path):
    name = "k8s-e2e-up"  # one name across runs: its api image is built and imported once
    state = tmp_path / "state"
    try:
        up = envsim("up", "profiles/prod-like.yaml", "--name", name, "--no-pull", repo=REPO, state=state)
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"stack {name} is up" in up.stdout
        for step in ("toxiproxy ready", "db seeding (a Job)", "db healthy", "api healthy"):
            assert step in up.stdout + up.stderr, step  # health-gated, with progress

        namespace = core.read_namespace(f"envsim-{name}")
        assert namespace.metadata.labels["envsim.stack"] == name
        assert namespace.metadata.labels["envsim.profile"] == "prod-like"

        status = envsim("status", "--name", name, "--json", repo=REPO, state=state)
        assert status.returncode == 0, status.stderr
        (item,) = json.loads(status.stdout)
        assert sorted(c["service"] for c in item["containers"]) == ["api", "cache", "db"]
        assert {c["state"] for c in item["containers"]} == {"running"}
        assert item["problems"] == []
        proxies = {p["name"]: p for p in item["proxies"]}
        assert set(proxies) == {"api-http", "cache-redis", "db-pg"}
        entry = proxies["api-http"]["entry_url"]
        assert entry.startswith("http://127.0.0.1:")

        # through the port-forward, Toxiproxy and the api to the seeded database and the cache
        with urllib.request.urlopen(f"{entry}/healthz", timeout=20) as answer:
            assert json.load(answer) == {"db": "ok", "cache": "ok"}
        with urllib.request.urlopen(f"{entry}/products", timeout=20) as answer:
            assert {p["sku"] for p in json.load(answer)} >= {"A1", "B2"}

        assert_toxiproxy_faults_apply_and_pause_is_refused(name, state)

        forwarder = json.loads((state / "stacks" / name / "forwarder.json").read_text())
        assert forwarder_alive(forwarder["pid"])
        secret = core.read_namespaced_secret("envsim-credentials", f"envsim-{name}")
        assert set(secret.data) == {"db_password"}  # written by up; the plan's Secret has no data
        password = base64.b64decode(secret.data["db_password"]).decode()
        assert len(password) >= 8
        assert password not in up.stdout + up.stderr + status.stdout  # never printed
    finally:
        down = envsim("down", "--name", name, repo=REPO, state=state)
    assert down.returncode == 0, down.stdout + down.stderr
    assert f"stack {name} removed" in down.stdout
    assert f"envsim-{name}" not in namespaces(core)  # down waited until the namespace was gone
    assert not forwarder_alive(forwarder["pid"])
    assert not (state / "stacks" / name).exists()

    again = envsim("down", "--name", name, repo=REPO, state=state)  # idempotent
    assert again.returncode == 0, again.stderr
    missing = envsim("status", "--name", name, repo=REPO, state=state)
    assert missing.returncode == 3
    assert "the cluster has no namespace of it" in missing.stderr


def proxy_toxics(name: str, state: Path) -> dict[str, list[str]]:
    status = envsim("status", "--name", name, "--json", repo=REPO, state=state)
    assert status.returncode == 0, status.stderr
    return {p["name"]: p["toxics"] for p in json.loads(status.stdout)[0]["proxies"]}


def assert_toxiproxy_faults_apply_and_pause_is_refused(name: str, state: Path) -> None:
    applied = envsim(
        "fault", "apply", "db-slow", "--name", name, "-p", "profiles/prod-like.yaml", repo=REPO, state=state
    )
    assert applied.returncode == 0, applied.stderr
    toxics = proxy_toxics(name, state)
    assert toxics["db-pg"] != [] and toxics["api-http"] == []  # on the db's proxy, through its forwarded API
    cleared = envsim("fault", "clear", "--name", name, "-p", "profiles/prod-like.yaml", repo=REPO, state=state)
    assert cleared.returncode == 0, cleared.stderr
    assert all(t == [] for t in proxy_toxics(name, state).values())
    refused = envsim(
        "fault", "apply", "api-pause", "--name", name, "-p", "profiles/prod-like.yaml", repo=REPO, state=state
    )
    assert refused.returncode == 3  # kill, stop and restart are pod operations (test_run_on_cluster.py)
    assert "`container: pause` is not supported on Kubernetes" in refused.stderr


def test_a_stack_whose_creator_died_is_reaped_by_the_next_up(core, tmp_path):
    """An abandoned namespace (its `up` killed) is removed as an abandoned Docker stack is."""
    from envsim.engine.state import PHASE_STARTING

    name = f"k8s-reap-{os.getpid()}"
    state = tmp_path / "state"
    body = {"metadata": {"name": f"envsim-{name}", "labels": {"envsim.stack": name}}}
    core.create_namespace(body)
    dead = subprocess.Popen(["true"])
    dead.wait()
    owner = state / "stacks" / name / "owner.json"
    owner.parent.mkdir(parents=True)
    owner.write_text(json.dumps({"phase": PHASE_STARTING, "pid": dead.pid, "since": time.time()}))
    try:
        down = envsim("down", "--name", f"{name}-other", repo=REPO, state=state)
        assert down.returncode == 0, down.stderr
        assert f"removed leftovers of stack {name}" in down.stderr
        assert f"envsim-{name}" not in namespaces(core)
    finally:
        if f"envsim-{name}" in namespaces(core):
            core.delete_namespace(f"envsim-{name}")


def test_an_interrupted_up_leaves_no_namespace_and_no_forwarder(core, tmp_path):
    name = "k8s-e2e-up"  # the same stack (and images) as the test above
    state = tmp_path / "state"
    command = envsim_command("up", "profiles/prod-like.yaml", "--name", name, "--no-pull")
    up = subprocess.Popen(
        command, cwd=REPO, env=envsim_env(state), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen = []
    try:
        assert up.stdout is not None
        for line in up.stdout:  # interrupted once the first level waits for health, mid-start
            seen.append(line)
            if "waiting for health" in line:
                up.send_signal(signal.SIGINT)
                break
        rest, _ = up.communicate(timeout=300)
    finally:
        if up.poll() is None:
            up.kill()
    output = "".join(seen) + rest
    assert up.returncode == 130, output
    assert "removing what was started" in output
    assert f"envsim-{name}" not in namespaces(core)
    assert not (state / "stacks" / name / "forwarder.json").exists()
