"""Container faults on a Kubernetes stack as pod and workload operations (pure mapping)."""

from __future__ import annotations

import pytest

from envsim.config.fault_kinds.container import CONTAINER_UNDO
from envsim.engine.kubernetes.pod_faults import (
    DELETE_POD,
    NOTHING,
    REPLACE_POD,
    SCALE_BACK,
    SCALE_TO_ZERO,
    acts_per_pod,
    grace_period,
    pod_operation,
)
from envsim.errors import EnvironmentProblem


@pytest.mark.parametrize(
    ("action", "operation"),
    [("kill", DELETE_POD), ("stop", SCALE_TO_ZERO), ("start", SCALE_BACK), ("restart", REPLACE_POD)],
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


def test_kill_and_restart_act_on_each_replica_s_pod_and_only_a_kill_skips_the_grace_period():
    assert acts_per_pod(DELETE_POD) and acts_per_pod(REPLACE_POD)
    assert not any(acts_per_pod(op) for op in (SCALE_TO_ZERO, SCALE_BACK))
    assert grace_period(DELETE_POD) == 0  # SIGKILL, as docker kill
    assert grace_period(REPLACE_POD) is None  # the pod's own terminationGracePeriodSeconds, as docker restart stops
