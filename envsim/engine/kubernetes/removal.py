"""Removing a stack from a cluster: its port-forward, then its namespace, waited for until gone.

As on Docker, where `down` removes each container by force (SIGKILL, no stop timeout), the
stack's pods get no shutdown grace: a test environment's processes hold nothing worth a clean
shutdown, and an app that ignores SIGTERM as PID 1 (a shell, `python -c`) or a Postgres that
waits for its clients on SIGTERM would otherwise keep `down` waiting out the pods' whole
`terminationGracePeriodSeconds` (30 s by default). The pods are deleted with a grace of 1 s,
the shortest that still has the node confirm each one gone (0 drops the pod from the API while
its containers may still run). Faults keep their own graces (engine/kubernetes/pod_faults.py).
"""

from __future__ import annotations

import time

from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster, is_missing, namespace_of
from envsim.engine.kubernetes.port_forwards import stop_forwarder
from envsim.engine.state import StackState
from envsim.engine.teardown import RemovedCounts
from envsim.errors import EnvironmentProblem

DELETE_TIMEOUT = 180.0  # seconds; the pods' short grace, then the namespace's finalizers run
FORCE_AFTER = 60.0  # seconds after which pods still terminating are removed from the API by force
REMOVAL_GRACE = 1  # seconds each pod gets between SIGTERM and SIGKILL on `down`
POLL = 0.25  # seconds between looks at the namespace


def remove_namespace(cluster: Cluster, stack: str, state: StackState) -> RemovedCounts:
    """Delete the stack's namespace and wait until the apiserver no longer has it; idempotent.
    Counts the pods it held as containers (what they are on Docker)."""
    stop_forwarder(state.directory)
    namespace = namespace_of(stack)
    try:
        pods = len(cluster.core.list_namespaced_pod(namespace, _request_timeout=REQUEST_TIMEOUT).items)
        # the namespace first: once it is terminating no controller can start a pod in it again
        cluster.core.delete_namespace(namespace, _request_timeout=REQUEST_TIMEOUT)
        _delete_pods(cluster, namespace, REMOVAL_GRACE)
    except Exception as error:
        if not is_missing(error):
            raise
        state.remove()
        return RemovedCounts()
    started = time.monotonic()
    deadline, forced = started + DELETE_TIMEOUT, False
    while True:
        try:
            cluster.core.read_namespace(namespace, _request_timeout=REQUEST_TIMEOUT)
        except Exception as error:
            if is_missing(error):
                break
            raise
        if not forced and time.monotonic() > started + FORCE_AFTER:
            # a node that cannot finish killing a pod (a sandbox it fails to tear down) holds
            # the namespace forever; past the grace the pods are dropped from the API, as
            # `kubectl delete --force` does
            _delete_pods(cluster, namespace, 0)
            forced = True
        if time.monotonic() > deadline:
            raise EnvironmentProblem(
                f"stack {stack}: namespace {namespace} is still being deleted after {DELETE_TIMEOUT:g}s",
                hint=f"`kubectl get namespace {namespace} -o yaml` shows what holds it (finalizers, pods)",
            )
        time.sleep(POLL)
    state.remove()
    return RemovedCounts(containers=pods)


def _delete_pods(cluster: Cluster, namespace: str, grace: int) -> None:
    """Every pod of the namespace deleted with `grace` seconds; shortens a longer grace a pod
    being deleted already has (the namespace's own deletion gives each its full one)."""
    cluster.core.delete_collection_namespaced_pod(
        namespace, grace_period_seconds=grace, _request_timeout=REQUEST_TIMEOUT
    )
