"""The Kubernetes tests skip when no local cluster runs, except under the test command.

`scripts/test.sh` starts the cluster and sets ENVSIM_K8S_REQUIRED=1: there a skip would hide a
cluster that did not come up (or a kubeconfig the tests cannot find), so it fails instead.
"""

from __future__ import annotations

import os

import pytest


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
