"""The Kubernetes tests skip when no local cluster runs, except under the test command.

`scripts/test.sh` starts the cluster and sets ENVSIM_K8S_REQUIRED=1: there a skip would hide a
cluster that did not come up (or a kubeconfig the tests cannot find), so it fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

KUBECONFIG = Path(os.environ.get("ENVSIM_K8S_KUBECONFIG") or "/var/lib/envsim-k8s/kubeconfig")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("ENVSIM_K8S_REQUIRED") == "1"
        and item.path.is_relative_to(os.path.dirname(__file__))
    ):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped although scripts/test.sh started the cluster (ENVSIM_K8S_REQUIRED=1): {report.longrepr}"
        )


@pytest.fixture(scope="module")
def core():
    """The cluster's core API, for the tests that look at namespaces and pods themselves."""
    if not KUBECONFIG.is_file():
        pytest.skip(f"no Kubernetes cluster: {KUBECONFIG} does not exist (start one with scripts/k8s-setup.sh)")
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(KUBECONFIG))
    try:
        client.VersionApi(api_client).get_code(_request_timeout=5)
    except Exception as error:
        pytest.skip(f"no Kubernetes cluster answers ({error}); start one with scripts/k8s-setup.sh")
    yield client.CoreV1Api(api_client)
    api_client.close()
