"""Container faults on a Kubernetes stack as pod and workload operations (pure mapping)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from envsim.config.fault_kinds.container import CONTAINER_UNDO
from envsim.engine.kubernetes.pod_faults import (
    DELETE_POD,
    NOTHING,
    RESTARTED_AT,
    ROLLOUT_RESTART,
    SCALE_BACK,
    SCALE_TO_ZERO,
    acts_per_pod,
    pod_operation,
    restart_patch,
)
from envsim.errors import EnvironmentProblem


@pytest.mark.parametrize(
    ("action", "operation"),
    [("kill", DELETE_POD), ("stop", SCALE_TO_ZERO), ("start", SCALE_BACK), ("restart", ROLLOUT_RESTART)],
)
def test_each_container_action_is_a_pod_operation(action, operation):
    assert pod_operation(action) == operation


def test_every_fault_that_can_be_applied_can_be_undone_on_a_cluster():
    for action, undo in CONTAINER_UNDO.items():
        if action == "pause":
            continue
        pod_operation(action)
        if undo is not None:
            assert pod_operation(undo) in (SCALE_BACK, NOTHING)


def test_pause_is_refused_with_what_to_use_instead():
    with pytest.raises(EnvironmentProblem, match=r"`container: pause` is not supported on Kubernetes.*container: stop"):
        pod_operation("pause")


def test_only_kill_acts_on_each_replica_s_pod():
    assert acts_per_pod(DELETE_POD)
    assert not any(acts_per_pod(op) for op in (SCALE_TO_ZERO, SCALE_BACK, ROLLOUT_RESTART))


def test_a_restart_patches_the_template_as_kubectl_rollout_restart_does():
    patch = restart_patch(datetime(2026, 12, 7, 5, 1, 2, tzinfo=UTC))
    assert patch == {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: "2026-12-07T05:01:02Z"}}}}}
