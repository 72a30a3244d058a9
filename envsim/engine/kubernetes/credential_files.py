"""A credential rotation on a Kubernetes stack: the stack's Secret, and the files in running pods.

The Secret `envsim-credentials` takes the new value, so a pod started afterwards (a kill, a
restart, a new replica) has it. A rotating credential's file sits in a directory mounted whole
from that Secret (plan/kubernetes_pods.py: a file mounted alone, with subPath, is never
refreshed), which the kubelet swaps atomically on its next sync of the pod; left to itself that
sync comes within its periodic resync, 80 s measured on the test cluster. A change to the pod's
annotations makes the kubelet sync the pod at once (1-3 s measured), and envsim reads the file
back through exec until it holds the new value, so the previous value is retired only once
every copy changed, as on Docker.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster
from envsim.engine.kubernetes.pod_exec import pod_exec
from envsim.errors import EnvironmentProblem
from envsim.plan.kubernetes_pods import CREDENTIALS_SECRET

ROTATED_ANNOTATION = "envsim.rotated"  # when envsim last rotated a credential the pod holds in a file
FILE_WAIT = 30.0  # seconds a pod's files may take to show a new value
POLL = 0.3


def own_client(cluster: Cluster) -> Cluster:
    """The cluster with an API client of its own: `kubernetes.stream` swaps a client's request
    function while it opens an exec, so a call another thread makes on the same client (the run's
    cluster watch) would go out as a stream."""
    from kubernetes import client

    return dataclasses.replace(cluster, api_client=client.ApiClient(cluster.api_client.configuration))


def update_secret(cluster: Cluster, namespace: str, credential: str, value: str) -> None:
    try:
        cluster.core.patch_namespaced_secret(
            CREDENTIALS_SECRET, namespace, {"stringData": {credential: value}}, _request_timeout=REQUEST_TIMEOUT
        )
    except Exception as error:
        reason = getattr(error, "reason", None) or type(error).__name__  # never the body: it echoes the patch
        raise EnvironmentProblem(f"could not update the Secret {CREDENTIALS_SECRET} in {namespace}: {reason}") from None


def refresh_files(
    cluster: Cluster, namespace: str, pod: str, files: tuple[tuple[str, str], ...], secrets: Mapping[str, str]
) -> None:
    """Have the kubelet refresh the pod's Secret directories now, and wait until each file holds
    its credential's current value."""
    try:
        cluster.core.patch_namespaced_pod(
            pod,
            namespace,
            {"metadata": {"annotations": {ROTATED_ANNOTATION: str(time.time_ns())}}},
            _request_timeout=REQUEST_TIMEOUT,
        )
    except Exception as error:
        raise EnvironmentProblem(f"pod {pod} is gone: cannot refresh its secret files ({error})") from None
    deadline = time.monotonic() + FILE_WAIT
    for credential, path in files:
        while True:
            code, stdout, _ = pod_exec(cluster, namespace, pod, ["cat", path])
            if code == 0 and stdout.strip() == secrets[credential].strip():
                break
            if time.monotonic() > deadline:
                why = "still holds the previous value" if code == 0 else "cannot be read back (no `cat` in the image?)"
                raise EnvironmentProblem(f"pod {pod}: {path} {why} {FILE_WAIT:.0f}s after the rotation")
            time.sleep(POLL)
