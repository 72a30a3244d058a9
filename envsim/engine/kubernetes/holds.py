"""Who is using a stack on a cluster: a ConfigMap per holding process in the stack's namespace,
labelled as a Docker hold volume is (see engine/stack_hold.py), so `down` from anywhere leaves a
stack in use alone."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster, is_missing, namespace_of
from envsim.engine.stack_hold import HOLD_ROLE, Holder, hold_labels, holder_alive, holder_from_labels, this_process
from envsim.plan.kubernetes_names import label_value
from envsim.plan.stack import ROLE_LABEL, STACK_LABEL

# A holder's identity has spaces; label values may not, so it is kept in an annotation too.
_RAW = "envsim.hold"


def cluster_holders(cluster: Cluster, stack: str) -> list[Holder]:
    try:
        maps = cluster.core.list_namespaced_config_map(
            namespace_of(stack), label_selector=f"{ROLE_LABEL}={HOLD_ROLE}", _request_timeout=REQUEST_TIMEOUT
        ).items
    except Exception as error:
        if is_missing(error):
            return []
        raise
    found = []
    for item in maps:
        holder = holder_from_labels(dict((item.data or {}).items()))
        if holder is not None and holder.pid != os.getpid() and holder_alive(holder):
            found.append(holder)
    return found


def _ensure_namespace(cluster: Cluster, stack: str) -> bool:
    """Create the stack's namespace when missing (labelled; `up` completes it); True if created."""
    from kubernetes.client.exceptions import ApiException

    body = {"metadata": {"name": namespace_of(stack), "labels": {STACK_LABEL: label_value(stack)}}}
    try:
        cluster.core.create_namespace(body, _request_timeout=REQUEST_TIMEOUT)
    except ApiException as error:
        if error.status == 409:
            return False
        raise
    return True


@contextlib.contextmanager
def cluster_hold(cluster: Cluster, stack: str, command: str) -> Iterator[None]:
    """Hold `stack` for the block. A namespace this hold had to create is deleted again on exit
    when nothing was started in it (the command failed before), so no empty stack is left."""
    holder = this_process(command)
    namespace = namespace_of(stack)
    created = _ensure_namespace(cluster, stack)
    name = f"envsim-hold-{holder.pid}-{os.urandom(3).hex()}"
    labels = {STACK_LABEL: label_value(stack), ROLE_LABEL: HOLD_ROLE}
    body = {"metadata": {"name": name, "labels": labels}, "data": hold_labels(stack, holder)}
    cluster.core.create_namespaced_config_map(namespace, body, _request_timeout=REQUEST_TIMEOUT)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # gone with the namespace, or the cluster is away
            cluster.core.delete_namespaced_config_map(name, namespace, _request_timeout=REQUEST_TIMEOUT)
            if created and not cluster.apps.list_namespaced_deployment(namespace).items:
                cluster.core.delete_namespace(namespace, _request_timeout=REQUEST_TIMEOUT)
