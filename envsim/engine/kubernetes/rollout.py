"""Waiting for a stack's workloads and seed Jobs, and saying why one is not getting there.

A pod that cannot start (an image the node does not have, a crash loop, a bad Secret reference)
fails the wait at once with the reason and its last log lines, as a container that exits does
on Docker; one that simply is not ready yet fails when its health check's start period is over.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster
from envsim.errors import EnvironmentProblem

POLL = 0.5
DEFAULT_WAIT = 120.0  # seconds, for what has no health check's start period
LOG_LINES = 20
# waiting reasons a pod does not recover from by waiting
HOPELESS = frozenset(
    {
        "CrashLoopBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


def _selector(manifest: dict[str, Any]) -> str:
    labels = manifest["spec"]["selector"]["matchLabels"] if "selector" in manifest["spec"] else {}
    if manifest["kind"] == "Job":
        labels = manifest["spec"]["template"]["metadata"]["labels"]
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _pods(cluster: Cluster, namespace: str, manifest: dict[str, Any]) -> list[Any]:
    return cluster.core.list_namespaced_pod(
        namespace, label_selector=_selector(manifest), _request_timeout=REQUEST_TIMEOUT
    ).items


def pod_log(cluster: Cluster, namespace: str, pod: str, secrets: Iterable[str], previous: bool = False) -> list[str]:
    """The pod's last log lines, secret values replaced by `***`."""
    try:
        text = cluster.core.read_namespaced_pod_log(
            pod, namespace, tail_lines=LOG_LINES, previous=previous, _request_timeout=REQUEST_TIMEOUT
        )
    except Exception:  # no container started yet, or its previous one is gone
        return []
    text = text or ""  # the client gives None for an empty log (seen: a pod Pending for want of CPU)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text.splitlines()[-LOG_LINES:]


def _why_hopeless(pod: Any) -> tuple[str, bool] | None:
    """(reason, whether a previous container's log says more) for a pod that will not start."""
    for status in pod.status.container_statuses or []:
        waiting = status.state.waiting if status.state else None
        if waiting is not None and waiting.reason in HOPELESS:
            return f"{waiting.reason}: {waiting.message or 'no detail'}", waiting.reason == "CrashLoopBackOff"
    return None


def _failure(
    cluster: Cluster, namespace: str, subject: str, reason: str, pod: str | None, previous: bool, secrets: Iterable[str]
) -> EnvironmentProblem:
    lines = pod_log(cluster, namespace, pod, secrets, previous) if pod else []
    shown = "\n".join(f"    {line}" for line in lines)
    return EnvironmentProblem(
        f"{subject} did not become ready: {reason}" + (f"\n  last log lines of pod {pod}:\n{shown}" if shown else ""),
        hint=f"`kubectl -n {namespace} describe pod {pod}` tells more; `envsim up --keep` keeps what was started"
        if pod
        else None,
    )


def _workload_ready(cluster: Cluster, namespace: str, manifest: dict[str, Any]) -> bool:
    name, kind = manifest["metadata"]["name"], manifest["kind"]
    api = cluster.apps
    if kind == "Deployment":
        read = api.read_namespaced_deployment_status(name, namespace, _request_timeout=REQUEST_TIMEOUT)
        wanted = read.spec.replicas
        status = read.status
        return bool(
            (status.observed_generation or 0) >= read.metadata.generation
            and (status.updated_replicas or 0) == wanted
            and (status.available_replicas or 0) == wanted
            and (status.replicas or 0) == wanted
        )
    read = api.read_namespaced_stateful_set_status(name, namespace, _request_timeout=REQUEST_TIMEOUT)
    status = read.status
    return bool(
        (status.observed_generation or 0) >= read.metadata.generation
        and (status.ready_replicas or 0) == read.spec.replicas
        and status.current_revision == status.update_revision
    )


def wait_for_workload(
    cluster: Cluster,
    namespace: str,
    manifest: dict[str, Any],
    subject: str,
    timeout: float,
    cancel: threading.Event,
    secrets: Iterable[str],
) -> None:
    """Until every replica of the Deployment or StatefulSet is ready (its readiness probe passed)."""
    deadline = time.monotonic() + timeout
    while not _workload_ready(cluster, namespace, manifest):
        if cancel.is_set():
            raise KeyboardInterrupt
        pods = _pods(cluster, namespace, manifest)
        for pod in pods:
            hopeless = _why_hopeless(pod)
            if hopeless is not None:
                raise _failure(cluster, namespace, subject, hopeless[0], pod.metadata.name, hopeless[1], secrets)
        if time.monotonic() > deadline:
            pod = next((p.metadata.name for p in pods), None)
            reason = f"not ready within {timeout:g}s (pods: {_describe(pods) or 'none'})"
            raise _failure(cluster, namespace, subject, reason, pod, False, secrets)
        time.sleep(POLL)


def _describe(pods: list[Any]) -> str:
    described = []
    for pod in pods:
        ready = any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
        described.append(f"{pod.metadata.name} {pod.status.phase}{'' if ready else ', not ready'}")
    return "; ".join(described)


def wait_for_job(
    cluster: Cluster,
    namespace: str,
    manifest: dict[str, Any],
    subject: str,
    timeout: float,
    cancel: threading.Event,
    secrets: Iterable[str],
) -> None:
    """Until the Job succeeded; EnvironmentProblem with its pod's log when it failed."""
    name = manifest["metadata"]["name"]
    deadline = time.monotonic() + timeout
    while True:
        status = cluster.batch.read_namespaced_job_status(name, namespace, _request_timeout=REQUEST_TIMEOUT).status
        if status.succeeded:
            return
        pods = _pods(cluster, namespace, manifest)
        pod = next((p.metadata.name for p in pods), None)
        if status.failed:
            raise _failure(cluster, namespace, subject, "the seed Job failed", pod, False, secrets)
        hopeless = next((h for p in pods if (h := _why_hopeless(p))), None)
        if hopeless is not None:
            raise _failure(cluster, namespace, subject, hopeless[0], pod, False, secrets)
        if cancel.is_set():
            raise KeyboardInterrupt
        if time.monotonic() > deadline:
            raise _failure(cluster, namespace, subject, f"not done within {timeout:g}s", pod, False, secrets)
        time.sleep(POLL)
