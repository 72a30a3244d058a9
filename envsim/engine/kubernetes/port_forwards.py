"""Starting, finding and stopping a stack's forwarder process (see forwarder.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from envsim.engine.kubernetes.cluster import Cluster
from envsim.errors import EnvironmentProblem
from envsim.fileio import write_atomic
from envsim.plan.kubernetes_manifests import toxiproxy_service_name
from envsim.plan.kubernetes_objects import dependency_service_name, upstream_service_name
from envsim.plan.publish import LOOPBACK
from envsim.plan.stack import StackPlan

FORWARDER_MODULE = "envsim.engine.kubernetes.forwarder"
RESULT_FILE = "forwarder.json"
START_TIMEOUT = 30.0
TOXIPROXY_KEY = "toxiproxy:"  # + the Toxiproxy's container name: its API
STUB_KEY = "stub:"  # + the stub's container name: its MockServer's admin API
DIRECT_KEY = "direct:"  # + a service's first container name, ":" and a port name: past Toxiproxy
_ADMIN_KEYS = (TOXIPROXY_KEY, STUB_KEY, DIRECT_KEY)  # every key but an entry point's: always on loopback
SPEC_FILE = "forwarder-spec.json"


@dataclass(frozen=True)
class Forward:
    key: str  # a published proxy's name, or TOXIPROXY_KEY/STUB_KEY + a container name
    service: str  # the Kubernetes Service
    port: int  # the Service's port
    host_port: int  # 0 for a free one
    host: str = LOOPBACK  # where it listens: an entry point on the plan's publish address, the rest on loopback


def planned_forwards(plan: StackPlan) -> list[Forward]:
    """Each Toxiproxy's API, each published entry point (through Toxiproxy, as on Docker), each
    stub's admin API (its real pod, for loading expectations), and each other service's ports
    past Toxiproxy (for http checks, as Docker's direct ports are)."""
    forwards = []
    for toxiproxy in plan.toxiproxies:
        service = toxiproxy_service_name(toxiproxy)
        forwards.append(Forward(TOXIPROXY_KEY + toxiproxy.name, service, toxiproxy.api.container_port, 0))
        for proxy in toxiproxy.proxies:
            if proxy.published is not None:
                port = int(proxy.listen.rsplit(":", 1)[1])
                fixed = proxy.published.host_port or 0
                service = dependency_service_name(proxy.service)
                forwards.append(Forward(proxy.name, service, port, fixed, plan.publish_address))
    for container in plan.containers:
        if container.stub is not None and container.ports and container.replica == 0:
            service = upstream_service_name(container.service)
            forwards.append(Forward(STUB_KEY + container.name, service, container.ports[0].container_port, 0))
        elif container.stub is None and container.replica == 0:
            service = upstream_service_name(container.service)
            forwards += [
                Forward(f"{DIRECT_KEY}{container.name}:{port.name}", service, port.container_port, 0)
                for port in container.ports
            ]
    return forwards


def _alive(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return FORWARDER_MODULE.encode() in command  # not a reused pid


def running_forwarder(state_dir: Path) -> dict[str, str] | None:
    """The forwarded URLs by key, when the stack's forwarder runs."""
    try:
        data = json.loads((state_dir / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return dict(data["urls"]) if _alive(int(data["pid"])) else None


def _spec_hosts(state_dir: Path) -> dict[str, str]:
    """Where the stack's forwarder was last told to listen, by key (kept while the stack is)."""
    try:
        spec = json.loads((state_dir / SPEC_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {f["key"]: f.get("host", LOOPBACK) for f in spec.get("forwards", [])}


def forwarded_publish_address(state_dir: Path) -> str:
    """The address the stack's entry points are forwarded on (127.0.0.1 when none was chosen)."""
    hosts = [host for key, host in _spec_hosts(state_dir).items() if not key.startswith(_ADMIN_KEYS)]
    return hosts[0] if hosts else LOOPBACK


def start_forwarder(cluster: Cluster, state_dir: Path, namespace: str, forwards: list[Forward]) -> dict[str, str]:
    """Start the stack's forwarder (once: a running one listening where asked is kept) and
    return its URLs by key."""
    found = running_forwarder(state_dir)
    if found is not None and _spec_hosts(state_dir) == {f.key: f.host for f in forwards}:
        return found
    stop_forwarder(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    result = state_dir / RESULT_FILE
    spec = {
        "kubeconfig": cluster.kubeconfig,
        "context": cluster.context,
        "namespace": namespace,
        "forwards": [asdict(f) for f in forwards],
        "result": str(result),
    }
    write_atomic(state_dir / SPEC_FILE, json.dumps(spec), private=True)
    with open(state_dir / "forwarder.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", FORWARDER_MODULE, str(state_dir / SPEC_FILE)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives this command, and its terminal's Ctrl-C
            env=os.environ.copy(),
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = (state_dir / "forwarder.log").read_text(encoding="utf-8", errors="replace").strip().splitlines()
            raise EnvironmentProblem(
                f"the port-forward to namespace {namespace} did not start: {tail[-1] if tail else 'no output'}",
                hint="a fixed port under `publish:` may be taken (or the --publish-address gone); free it or choose another",
            )
        found = running_forwarder(state_dir)
        if found is not None:
            return found
        time.sleep(0.1)
    process.kill()
    raise EnvironmentProblem(f"the port-forward to namespace {namespace} did not start within {START_TIMEOUT:g}s")


def stop_forwarder(state_dir: Path) -> None:
    try:
        pid = int(json.loads((state_dir / RESULT_FILE).read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError):
        return
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)
    (state_dir / RESULT_FILE).unlink(missing_ok=True)
