"""A real image registry on this machine for the cluster tests: the CNCF Distribution registry
(what the registry:2 and registry:3 images run), built from its Go module by
scripts/k8s-setup.sh and kept beside the cluster's binaries.

It listens on 127.0.0.1 only, over plain HTTP, with its storage in a temporary directory. The
Docker engine pushes there without settings (it treats 127.0.0.0/8 as an insecure registry);
the cluster's containerd is told to pull from it over HTTP by a `hosts.toml` in the directory its
`config_path` names, which it reads on each pull, as a registry elsewhere would need (containerd
1.6 also falls back to HTTP for a loopback host without it). Leaving stops the process and
removes the storage, the `hosts.toml` and the images the node pulled from it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLUSTER_DIR = Path(os.environ.get("ENVSIM_K8S_DIR") or "/var/lib/envsim-k8s")
CONTAINERD_SOCKET = os.environ.get("ENVSIM_K8S_CONTAINERD") or "/run/envsim-k8s/containerd.sock"
HOSTS_DIR = CLUSTER_DIR / "containerd/certs.d"  # the config_path scripts/k8s/config.sh writes


@dataclass(frozen=True)
class LocalRegistry:
    host: str  # 127.0.0.1:PORT, as image references name it
    storage: Path
    hosts_file: Path
    pid: int

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"http://{self.host}/v2/{path}", timeout=10) as answer:
            return json.load(answer)

    def catalog(self) -> list[str]:
        return sorted(self.get("_catalog")["repositories"])

    def tags(self, repository: str) -> list[str]:
        return sorted(self.get(f"{repository}/tags/list")["tags"] or [])

    def digest(self, repository: str, tag: str) -> str:
        """The manifest digest the registry serves for `repository:tag`, as a pull resolves it."""
        accept = ", ".join(
            f"application/vnd.{kind}+json"
            for kind in (
                "docker.distribution.manifest.v2",
                "docker.distribution.manifest.list.v2",
                "oci.image.manifest.v1",
                "oci.image.index.v1",
            )
        )
        request = urllib.request.Request(
            f"http://{self.host}/v2/{repository}/manifests/{tag}", method="HEAD", headers={"Accept": accept}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return str(answer.headers["Docker-Content-Digest"])


def registry_binary() -> Path | None:
    """The binary scripts/k8s-setup.sh built, where its `env` command says the binaries are."""
    listed = subprocess.run(
        ["bash", str(REPO / "scripts/k8s-setup.sh"), "env"], capture_output=True, text=True, check=False
    )
    for line in listed.stdout.splitlines():
        if line.startswith("export ENVSIM_K8S_BIN="):
            binary = Path(line.partition("=")[2]) / "registry"
            return binary if os.access(binary, os.X_OK) else None
    return None


def cluster_pulls_through_hosts_dir() -> bool:
    """Whether the running cluster's containerd was started with the `config_path` of HOSTS_DIR."""
    config = CLUSTER_DIR / "containerd/config.toml"
    return config.is_file() and f'config_path = "{HOSTS_DIR}"' in config.read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(storage: Path, host: str) -> str:
    # JSON is YAML: the registry reads either. delete: lets a test remove what it pushed.
    return json.dumps(
        {
            "version": 0.1,
            "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": str(storage / "data")}, "delete": {"enabled": True}},
            "http": {"addr": host},
        }
    )


def _wait_answering(host: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the registry exited {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://{host}/v2/", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the registry did not answer on {host} within {timeout:.0f}s: {log.read_text()[-2000:]}")


def _ctr(*args: str) -> subprocess.CompletedProcess:
    command = ["ctr", "--address", CONTAINERD_SOCKET, "--namespace", "k8s.io", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def node_images(prefix: str) -> list[str]:
    """The images the cluster's containerd holds under names starting with `prefix`."""
    listed = _ctr("images", "ls", "-q")
    return sorted(name for name in listed.stdout.split() if name.startswith(prefix))


@contextmanager
def local_registry(binary: Path) -> Iterator[LocalRegistry]:
    storage = Path(tempfile.mkdtemp(prefix="envsim-registry-"))
    host = f"127.0.0.1:{_free_port()}"
    (storage / "config.yml").write_text(_config(storage, host))
    log = storage / "registry.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(binary), "serve", str(storage / "config.yml")],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hosts_file = HOSTS_DIR / host / "hosts.toml"
    try:
        _wait_answering(host, process, log)
        hosts_file.parent.mkdir(parents=True, exist_ok=True)
        hosts_file.write_text(
            f'server = "http://{host}"\n\n[host."http://{host}"]\n  capabilities = ["pull", "resolve"]\n'
        )
        yield LocalRegistry(host, storage, hosts_file, process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(hosts_file.parent, ignore_errors=True)
        for name in node_images(f"{host}/"):
            _ctr("images", "rm", name)
        shutil.rmtree(storage, ignore_errors=True)
