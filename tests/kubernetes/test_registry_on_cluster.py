"""`envsim up|run --on kubernetes --registry` against a real registry on this machine: the
stack's images (and the load's, with `--load-on cluster`) are pushed there and the node pulls
them from it.

The registry's address has a fresh port each run and the images a path of their own under it,
so no image the cluster imported earlier can stand in for a pull: a pod that runs under such a
name was pulled from this registry. Marker `kubernetes`; skipped without a cluster (conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from envsim.images.requirements import TOXIPROXY_VERSION
from tests.kubernetes.cluster_stacks import envsim, write_repo
from tests.kubernetes.local_registry import (
    cluster_pulls_through_hosts_dir,
    local_registry,
    node_images,
    registry_binary,
)

pytestmark = pytest.mark.kubernetes

STACK = "k8s-registry"
PATH = "envsim-test"  # the registry's path the stack's images go under
# The smallest stack the node runs beside others: one built service (Python's own HTTP server,
# on the base the load's Locust image has too, so the pushes and pulls share its layers) and
# Toxiproxy before it.
PROFILE = {
    "envsim": 1,
    "name": "registry-small",
    "services": {
        "web": {
            "build": "../web",
            "ports": {"http": 8000},
            "publish": ["http"],
            "health": {"http": "/", "start_period": "60s"},
        },
    },
}
DOCKERFILE = 'FROM python:3.11-slim\nCMD ["python3", "-m", "http.server", "8000"]\n'
SCENARIO = {
    "envsim": 1,
    "name": "registry-load",
    "profile": "../profiles/registry-small.yaml",
    "load": {
        "target": "web",
        "users": 2,
        "spawn_rate": 2,
        "duration": "6s",
        "wait": ["100ms", "200ms"],
        "tasks": [{"name": "index", "request": "GET /"}],
    },
    "checks": [{"metric": "error_rate", "below": "2%"}],
}


@pytest.fixture
def registry(core):
    binary = registry_binary()
    if binary is None:
        pytest.skip("no registry binary: scripts/k8s-setup.sh start builds it beside the cluster's binaries")
    if not cluster_pulls_through_hosts_dir():
        pytest.skip("the cluster's containerd has no registry config_path: restart it with scripts/k8s-setup.sh")
    with local_registry(binary) as running:
        yield running
    # nothing left of it: process, storage, the node's hosts.toml and the images pulled from it
    assert not Path(f"/proc/{running.pid}").exists()
    assert not running.storage.exists()
    assert not running.hosts_file.parent.exists()
    assert node_images(f"{running.host}/") == []


def running_images(core, namespace: str) -> dict[str, tuple[str, str]]:
    """Service (or role) -> (the image its pod's spec names, the image id the node runs it from)."""
    found = {}
    for pod in core.list_namespaced_pod(namespace).items:
        if pod.metadata.deletion_timestamp is None:
            (container,) = pod.spec.containers
            (status,) = pod.status.container_statuses
            assert status.ready, pod.metadata.name
            labels = pod.metadata.labels
            found[labels.get("envsim.service") or labels["envsim.role"]] = (container.image, status.image_id)
    return found


def write_web_repo(repo: Path, dockerfile: str) -> None:
    """The profile and scenario, and web/Dockerfile holding `dockerfile`."""
    write_repo(repo, PROFILE, {"registry-load": SCENARIO})
    (repo / "web").mkdir(exist_ok=True)
    (repo / "web/Dockerfile").write_text(dockerfile)


def test_up_with_registry_pushes_the_images_and_the_node_pulls_them_by_digest(core, registry, tmp_path):
    repo, state = tmp_path / "repo", tmp_path / "state"
    write_web_repo(repo, DOCKERFILE)
    namespace = f"envsim-{STACK}"
    up_args = ("up", "profiles/registry-small.yaml", "--name", STACK, "--no-pull", "--registry")
    try:
        up = envsim(*up_args, f"{registry.host}/{PATH}", repo=repo, state=state)
        assert up.returncode == 0, up.stdout + up.stderr
        pushed = {
            f"{PATH}/envsim-{STACK}/web": "latest",
            f"{PATH}/envsim/toxiproxy": TOXIPROXY_VERSION,  # built here: no registry answers
        }
        assert registry.catalog() == sorted(pushed)
        for repository, tag in pushed.items():
            assert registry.tags(repository) == [tag], repository
            assert f"pushing {registry.host}/{repository}:{tag}" in up.stdout + up.stderr

        # each pod names its image in the registry by the digest the registry serves for its tag,
        # and the node runs it from that pull (containerd names the image id after it)
        by_digest = {
            f"{registry.host}/{repository}@{registry.digest(repository, tag)}" for repository, tag in pushed.items()
        }
        images = running_images(core, namespace)
        assert sorted(images) == ["toxiproxy", "web"]
        assert {spec for spec, _ in images.values()} == by_digest
        assert all(spec == image_id for spec, image_id in images.values())
        assert set(node_images(f"{registry.host}/")) >= by_digest
        assert not [t for i in docker.from_env().images.list() for t in i.tags if t.startswith(registry.host)]

        # a rebuilt service is pushed under the same tag; its pod runs the new image, not the one
        # the node pulled under that tag before
        write_web_repo(repo, DOCKERFILE + "LABEL envsim.test=rebuilt\n")
        again = envsim(*up_args, f"{registry.host}/{PATH}", repo=repo, state=state)
        assert again.returncode == 0, again.stdout + again.stderr
        web = f"{PATH}/envsim-{STACK}/web"
        rebuilt = running_images(core, namespace)["web"]
        assert rebuilt == (f"{registry.host}/{web}@{registry.digest(web, 'latest')}",) * 2
        assert rebuilt != images["web"]

        # the load's Locust image goes the same way when the load runs in the cluster
        run = envsim(
            "run", "scenarios/registry-load.yaml", "--name", STACK, "--no-pull", "--load-on", "cluster",
            "--registry", f"{registry.host}/{PATH}", repo=repo, state=state,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        locust = f"{PATH}/envsim/locust-worker"
        (tag,) = registry.tags(locust)
        assert f"pushing {registry.host}/{locust}:{tag}" in run.stdout + run.stderr
        assert f"{registry.host}/{locust}@{registry.digest(locust, tag)}" in node_images(f"{registry.host}/")
    finally:
        down = envsim("down", "--name", STACK, repo=repo, state=state)
    assert down.returncode == 0, down.stdout + down.stderr
    assert namespace not in {n.metadata.name for n in core.list_namespace().items}
