"""The local cluster from scripts/k8s-setup.sh, checked through its own commands and kubectl.

Skipped unless that cluster runs (its admin kubeconfig exists under ENVSIM_K8S_DIR); the test
command starts it (and builds it from source the first time). Marker `kubernetes`, from the folder.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "scripts" / "k8s-setup.sh"
STATE_DIR = Path(os.environ.get("ENVSIM_K8S_DIR", "/var/lib/envsim-k8s"))

pytestmark = pytest.mark.skipif(
    not (STATE_DIR / "kubeconfig").exists(), reason="no local cluster (run scripts/k8s-setup.sh)"
)


def setup_env() -> dict[str, str]:
    """The environment `k8s-setup.sh env` describes: KUBECONFIG and the built kubectl on PATH."""
    exports = subprocess.run(["bash", str(SETUP), "env"], check=True, capture_output=True, text=True).stdout
    env = dict(os.environ)
    for line in exports.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.replace("$PATH", os.environ.get("PATH", ""))
    return env


def kubectl(*args: str, timeout: float = 120) -> str:
    result = subprocess.run(["kubectl", *args], env=setup_env(), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
    return result.stdout


def test_the_node_is_ready_and_runs_the_built_kubernetes_version():
    conditions = kubectl(
        "get",
        "node",
        "envsim-node",
        "-o",
        "jsonpath={.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=='Ready')].status}",
    )
    version, ready = conditions.split()
    assert version.startswith("v1.34.")
    assert ready == "True"


def test_cluster_dns_answers_for_the_kubernetes_service():
    service_ip = kubectl("get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}")
    dns_ip = kubectl("-n", "kube-system", "get", "service", "kube-dns", "-o", "jsonpath={.spec.clusterIP}")
    answer = subprocess.run(
        ["python3", str(REPO / "scripts/k8s/dns_query.py"), dns_ip, "kubernetes.default.svc.cluster.local"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert answer.stdout.split() == [service_ip]


def test_an_imported_docker_image_runs_as_a_pod():
    """`import` moves an image the cluster could not pull; the pod may not pull it either."""
    image = f"envsim-test/cluster-import:{uuid.uuid4().hex[:8]}"
    pause_image = kubectl("get", "pod", "envsim-node-check", "-o", "jsonpath={.spec.containers[0].image}")
    subprocess.run(["docker", "tag", _docker_image_with_entrypoint(pause_image), image], check=True)
    pod = f"import-check-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(["bash", str(SETUP), "import", image], check=True, capture_output=True, timeout=120)
        kubectl("run", pod, f"--image={image}", "--image-pull-policy=Never", "--restart=Never")
        kubectl("wait", "--for=condition=Ready", f"pod/{pod}", "--timeout=90s")
    finally:
        kubectl("delete", "pod", pod, "--ignore-not-found", "--grace-period=1")
        subprocess.run(["docker", "rmi", image], capture_output=True)


def _docker_image_with_entrypoint(pause_image: str) -> str:
    """The pause image as the Docker engine has it (k8s-setup.sh packs it there)."""
    found = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", pause_image], capture_output=True, text=True
    )
    if found.returncode != 0:
        pytest.fail(f"{pause_image} is not in the Docker engine: run scripts/k8s-setup.sh", pytrace=False)
    return found.stdout.strip()
