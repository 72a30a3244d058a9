"""Removing a stack from a cluster: its port-forward, then its namespace, waited for until gone."""

from __future__ import annotations

import time

from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster, is_missing, namespace_of
from envsim.engine.kubernetes.port_forwards import stop_forwarder
from envsim.engine.state import StackState
from envsim.engine.teardown import RemovedCounts
from envsim.errors import EnvironmentProblem

DELETE_TIMEOUT = 180.0  # seconds; pods get their grace period, then the namespace's finalizers run
FORCE_AFTER = 60.0  # seconds after which pods still terminating are removed from the API by force


def remove_namespace(cluster: Cluster, stack: str, state: StackState) -> RemovedCounts:
    """Delete the stack's namespace and wait until the apiserver no longer has it; idempotent.
    Counts the pods it held as containers (what they are on Docker)."""
    stop_forwarder(state.directory)
    namespace = namespace_of(stack)
    try:
        pods = len(cluster.core.list_namespaced_pod(namespace, _request_timeout=REQUEST_TIMEOUT).items)
        cluster.core.delete_namespace(namespace, _request_timeout=REQUEST_TIMEOUT)
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
            _force_pods(cluster, namespace)
            forced = True
        if time.monotonic() > deadline:
            raise EnvironmentProblem(
                f"stack {stack}: namespace {namespace} is still being deleted after {DELETE_TIMEOUT:g}s",
                hint=f"`kubectl get namespace {namespace} -o yaml` shows what holds it (finalizers, pods)",
            )
        time.sleep(0.5)
    state.remove()
    return RemovedCounts(containers=pods)


def _force_pods(cluster: Cluster, namespace: str) -> None:
    """Pods a node cannot finish killing (a sandbox it fails to tear down) hold the namespace
    forever; past their grace period they are dropped from the API, as `kubectl delete --force` does."""
    for pod in cluster.core.list_namespaced_pod(namespace, _request_timeout=REQUEST_TIMEOUT).items:
        try:
            cluster.core.delete_namespaced_pod(
                pod.metadata.name, namespace, grace_period_seconds=0, _request_timeout=REQUEST_TIMEOUT
            )
        except Exception as error:
            if not is_missing(error):
                raise
