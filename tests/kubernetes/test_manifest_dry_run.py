"""The manifests of `envsim plan --format kubernetes`, submitted to a real apiserver.

The stack's namespace is created for real (and deleted after); every other manifest goes in
with a server-side dry run, so the apiserver validates and admits it without creating it, and
again as a dry-run server-side apply, which also refuses fields the schema does not know.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envsim import api
from envsim.config import load_profile
from envsim.config.loader import validate_files

REPO = Path(__file__).resolve().parents[2]
KUBECONFIG_ENV = "ENVSIM_K8S_KUBECONFIG"
DEFAULT_KUBECONFIG = Path("/var/lib/envsim-k8s/kubeconfig")  # written by scripts/k8s-setup.sh
HOW_TO_START = (
    f"start one with `scripts/k8s-setup.sh` (as root), or point ${KUBECONFIG_ENV} at the kubeconfig "
    "of a cluster where namespaces may be created"
)


def _kubeconfig() -> Path:
    path = Path(os.environ.get(KUBECONFIG_ENV) or DEFAULT_KUBECONFIG)
    if not path.is_file():
        pytest.skip(f"no Kubernetes cluster: {path} does not exist; {HOW_TO_START}")
    return path


@pytest.fixture(scope="module")
def cluster():
    from kubernetes import client, config, dynamic
    from urllib3.exceptions import HTTPError

    api_client = config.new_client_from_config(config_file=str(_kubeconfig()))
    try:
        client.VersionApi(api_client).get_code(_request_timeout=5)
    except (HTTPError, OSError) as error:
        api_client.close()
        pytest.skip(f"no Kubernetes cluster answers at the kubeconfig's server ({error}); {HOW_TO_START}")
    yield dynamic.DynamicClient(api_client)
    api_client.close()


def _submit(cluster, manifest: dict, namespace: str) -> list[str]:
    """What the apiserver refuses of one manifest, in a create and in an apply (both dry runs)."""
    from kubernetes.client.exceptions import ApiException

    resource = cluster.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
    where = f"{manifest['kind']} {manifest['metadata']['name']}"
    refused = []
    for submit in (
        lambda: resource.create(body=manifest, namespace=namespace, dry_run="All"),
        lambda: resource.server_side_apply(body=manifest, namespace=namespace, dry_run="All", field_manager="envsim"),
    ):
        try:
            submit()
        except ApiException as error:
            refused.append(f"{where}: {error.status} {error.body}")
    return refused


# per-link faults and partitions are refused on Kubernetes (validate --backend kubernetes)
KUBERNETES_PROFILES = [
    p for p in sorted((REPO / "profiles").glob("*.yaml")) if not validate_files([p], {}, "kubernetes").problems
]


@pytest.mark.parametrize("path", KUBERNETES_PROFILES, ids=lambda p: p.stem)
def test_the_apiserver_accepts_every_manifest(cluster, path):
    plan = api.plan(load_profile(path, {}), name=f"dry-run-{path.stem}-{os.getpid()}").stack
    namespace_manifest, *manifests = api.kubernetes_manifests(plan)
    namespace = namespace_manifest["metadata"]["name"]
    namespaces = cluster.resources.get(api_version="v1", kind="Namespace")
    namespaces.create(body=namespace_manifest)
    try:
        refused = [problem for manifest in manifests for problem in _submit(cluster, manifest, namespace)]
        assert refused == []
        created = namespaces.get(name=namespace)
        assert created.metadata.labels["envsim.stack"] == plan.stack
        # a dry run leaves nothing behind: the namespace holds none of the stack's objects
        for kind in ("Deployment", "Service", "Secret", "Job"):
            version = {"Deployment": "apps/v1", "Job": "batch/v1"}.get(kind, "v1")
            listed = cluster.resources.get(api_version=version, kind=kind).get(
                namespace=namespace, label_selector=f"envsim.stack={plan.stack}"
            )
            assert listed.items == [], kind
    finally:
        namespaces.delete(name=namespace)
