"""Container faults on a Kubernetes stack, as operations on the service's pods and workload.

A container fault acts on every container of a service (envsim.config.fault_kinds.container);
on a cluster a service is a Deployment (a StatefulSet for balanced replicas) and its pods:

| action  | on Kubernetes                                                                      |
|---------|------------------------------------------------------------------------------------|
| kill    | the replica's pod is deleted at once (grace 0, as SIGKILL); its workload starts another |
|         | (the proxies in front of the service stay shut until the fault clears: proxy_holds.py)  |
| stop    | the workload is scaled to 0 (pods terminate gracefully), until the fault clears        |
| start   | the workload is scaled back to the replicas the profile asks for                      |
| restart | the replica's pod is deleted gracefully (SIGTERM first, as `docker restart` stops)     |
| pause   | refused: the kubelet has no call that freezes a pod's containers                      |

A restart is not a rollout restart: a rollout surges a new pod before the old one goes, which
needs room for both on the nodes (seen: prod-like's api, asking for a whole core, stayed Pending
on a 2-core node), while a restart on Docker needs none and leaves the service briefly away.
"""

from __future__ import annotations

from typing import Any

from envsim.config.backends import PAUSE_REFUSED
from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster, is_missing
from envsim.errors import EnvironmentProblem

DELETE_POD = "delete the pod"
REPLACE_POD = "replace the pod"
SCALE_TO_ZERO = "scale to 0"
SCALE_BACK = "scale back"
NOTHING = "nothing"

POD_OPERATIONS = {
    "kill": DELETE_POD,
    "stop": SCALE_TO_ZERO,
    "start": SCALE_BACK,
    "restart": REPLACE_POD,
    "unpause": NOTHING,  # no pause was applied (it is refused), so none is undone
}


def pod_operation(action: str) -> str:
    """What a container action becomes on a cluster; EnvironmentProblem for pause."""
    if action not in POD_OPERATIONS:
        raise EnvironmentProblem(PAUSE_REFUSED if action == "pause" else f"unknown container action {action!r}")
    return POD_OPERATIONS[action]


def acts_per_pod(operation: str) -> bool:
    """Whether the operation is one per replica (a pod) rather than one per workload."""
    return operation in (DELETE_POD, REPLACE_POD)


def removes_pods(operation: str) -> bool:
    """Whether the operation leaves the service without some pod for a while (kill, stop, restart)."""
    return operation in (DELETE_POD, REPLACE_POD, SCALE_TO_ZERO)


def grace_period(operation: str) -> int | None:
    """Seconds the pod's containers get after SIGTERM: none for a kill, the pod's own for a restart."""
    return 0 if operation == DELETE_POD else None


class Workloads:
    """A service's Deployment or StatefulSet in one namespace, found by name."""

    def __init__(self, cluster: Cluster, namespace: str):
        self.cluster, self.namespace = cluster, namespace

    def _call(self, verb: str, name: str, *args: Any) -> Any:
        """`verb` on the Deployment `name`, else on the StatefulSet of that name; None when neither is there."""
        for kind in ("deployment", "stateful_set"):
            try:
                method = getattr(self.cluster.apps, f"{verb}_namespaced_{kind}")
                return method(name, self.namespace, *args, _request_timeout=REQUEST_TIMEOUT)
            except Exception as error:
                if not is_missing(error):
                    raise
        return None

    def replicas(self, name: str) -> int | None:
        workload = self._call("read", name)
        return None if workload is None else int(workload.spec.replicas or 0)

    def scale(self, name: str, replicas: int) -> None:
        if self.replicas(name) != replicas:
            self._call("patch", name, {"spec": {"replicas": replicas}})

    def delete_pod(self, pod: str, grace: int | None) -> None:
        try:
            self.cluster.core.delete_namespaced_pod(
                pod, self.namespace, grace_period_seconds=grace, _request_timeout=REQUEST_TIMEOUT
            )
        except Exception as error:
            if not is_missing(error):  # gone already: killed is killed
                raise
