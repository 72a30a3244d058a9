"""A run's Locust Jobs in the stack's namespace: create, wait for, follow, stop and remove them.

The manifests come from envsim.plan.kubernetes_load; the config Secret gets its data only here,
as it is created, and is never printed. The runner's (or master's) messages are read from its
pod's log, followed through the apiserver: the log outlives a broken stream, so a follow that
ends while the container still runs is opened again and the lines already read are skipped.
Every object carries the role `load`; removal deletes by that label and waits until no pod,
Job, Service or Secret of it is left.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster, is_missing
from envsim.errors import EnvironmentProblem
from envsim.plan.kubernetes_load import LOAD_PART_LABEL, ClusterLoadPlan, load_manifests

REMOVAL_TIMEOUT = 60.0
FOLLOW_READ_TIMEOUT = 30.0  # seconds a followed log may stay silent before it is opened again
# a pod waiting for one of these will not start by itself
STUCK_REASONS = {
    "ErrImageNeverPull",
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
}
STOP_COMMAND = ["python", "-c", "import os, signal; os.kill(1, signal.SIGTERM)"]


class LoadJobs:
    def __init__(self, cluster: Cluster, load: ClusterLoadPlan):
        self.cluster, self.load = cluster, load
        self.namespace = load.namespace

    def create(self, files: Mapping[str, str]) -> None:
        """The Secret with `files`, the master's Service, the Jobs (after removing a killed run's)."""
        self.remove()
        core, batch = self.cluster.core, self.cluster.batch
        for manifest in load_manifests(self.load):
            kind = manifest["kind"]
            try:
                if kind == "Secret":
                    data = {name: base64.b64encode(text.encode()).decode() for name, text in files.items()}
                    core.create_namespaced_secret(self.namespace, {**manifest, "data": data})
                elif kind == "Service":
                    core.create_namespaced_service(self.namespace, manifest)
                else:
                    batch.create_namespaced_job(self.namespace, manifest)
            except Exception as error:  # the body is never part of the message
                raise EnvironmentProblem(
                    f"could not create the load's {kind} {manifest['metadata']['name']} in namespace "
                    f"{self.namespace}: {_reason(error)}"
                ) from None

    def pod(self, part: str) -> Any | None:
        """The pod of a part's Job (the newest one), None before it exists or once it is gone."""
        pods = self.cluster.core.list_namespaced_pod(
            self.namespace,
            label_selector=f"{self.load.selector},{LOAD_PART_LABEL}={part}",
            _request_timeout=REQUEST_TIMEOUT,
        ).items
        return max(pods, key=lambda p: p.metadata.creation_timestamp) if pods else None

    def wait_started(self, part: str, timeout: float, stopped: Callable[[], bool] = lambda: False) -> str:
        """The part's pod name once its container runs (or ran); EnvironmentProblem when it cannot."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not stopped():
            pod = self.pod(part)
            if pod is not None:
                if pod.status.phase in ("Running", "Succeeded", "Failed"):
                    return str(pod.metadata.name)
                for status in pod.status.container_statuses or []:
                    waiting = status.state.waiting if status.state else None
                    if waiting is not None and waiting.reason in STUCK_REASONS:
                        raise EnvironmentProblem(
                            f"the load's pod {pod.metadata.name} cannot start: {waiting.reason}: "
                            f"{(waiting.message or '').strip()[:300]}",
                            hint="envsim imports the image envsim/locust-worker into the cluster before the run; "
                            "for a cluster elsewhere pass --registry",
                        )
            time.sleep(0.3)
        why = "the run stopped first" if stopped() else f"not within {timeout:.0f}s"
        raise EnvironmentProblem(f"the load's {part} pod did not start: {why}")

    def follow(self, pod: str, stopped: Callable[[], bool]) -> Iterator[str]:
        """The pod's log lines as they come, until its container ended, the pod is gone or
        `stopped()`. A stream that breaks or stays silent for FOLLOW_READ_TIMEOUT while the
        pod runs is opened again from the start, skipping the lines already read."""
        seen = 0
        while not stopped():
            count = 0
            for line in self._stream(pod):
                count += 1
                if count > seen:
                    seen = count
                    yield line
            if not self._running(pod):
                return
            time.sleep(0.5)

    def _stream(self, pod: str) -> Iterator[str]:
        """Whole lines only: a line cut by a broken stream is read again in full next time."""
        try:
            response = self.cluster.core.read_namespaced_pod_log(
                pod,
                self.namespace,
                follow=True,
                _preload_content=False,
                _request_timeout=(REQUEST_TIMEOUT, FOLLOW_READ_TIMEOUT),
            )
        except Exception:  # gone (follow() sees that next), or the apiserver did not answer
            return
        pending = b""
        try:
            for chunk in response.stream(amt=None, decode_content=False):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", "replace")
        except Exception:  # a broken or silent stream; follow() decides whether to open it again
            pass
        finally:
            response.release_conn()

    def _running(self, pod: str) -> bool:
        try:
            found = self.cluster.core.read_namespaced_pod(pod, self.namespace, _request_timeout=REQUEST_TIMEOUT)
        except Exception as error:
            return not is_missing(error)  # the apiserver did not answer: try the log again
        return found.metadata.deletion_timestamp is None and found.status.phase in ("Pending", "Running")

    def stop(self, pod: str) -> None:
        """SIGTERM to the pod's Locust (its PID 1): it ends the load, flushes and says 'ended'.

        Through a client of its own: opening an exec stream swaps the request function of the
        client it uses, and the log follower and the run's watch call the shared one meanwhile."""
        from kubernetes import client

        from envsim.engine.kubernetes.pod_exec import pod_exec

        own = client.ApiClient(self.cluster.api_client.configuration)
        try:
            pod_exec(
                Cluster(own, self.cluster.kubeconfig, self.cluster.context, self.cluster.server),
                self.namespace,
                pod,
                STOP_COMMAND,
            )
        except Exception:  # gone already, or the apiserver did not answer: removal follows anyway
            pass
        finally:
            own.close()

    def log_tail(self, part: str, lines: int = 30) -> str:
        pod = self.pod(part)
        if pod is None:
            return ""
        try:
            text = self.cluster.core.read_namespaced_pod_log(
                pod.metadata.name, self.namespace, tail_lines=lines, _request_timeout=REQUEST_TIMEOUT
            )
        except Exception:
            return ""
        return f"{pod.metadata.name}:\n{str(text).strip()}"

    def remove(self, timeout: float = REMOVAL_TIMEOUT) -> None:
        """Delete every object of the load (pods at once, no grace) and wait until none is left."""
        core, batch, selector = self.cluster.core, self.cluster.batch, self.load.selector
        options = {"label_selector": selector, "_request_timeout": REQUEST_TIMEOUT}
        batch.delete_collection_namespaced_job(self.namespace, propagation_policy="Background", **options)
        core.delete_collection_namespaced_pod(self.namespace, grace_period_seconds=0, **options)
        for service in core.list_namespaced_service(self.namespace, **options).items:
            _deleted(core.delete_namespaced_service, service.metadata.name, self.namespace)
        core.delete_collection_namespaced_secret(self.namespace, **options)
        deadline = time.monotonic() + timeout
        while self.left():
            if time.monotonic() > deadline:
                raise EnvironmentProblem(
                    f"the load's objects in namespace {self.namespace} were not removed: "
                    f"{', '.join(self.left())} remain after {timeout:g}s"
                )
            time.sleep(0.5)

    def left(self) -> list[str]:
        """What is left of the load, as `Kind name`."""
        core, batch = self.cluster.core, self.cluster.batch
        options = {"label_selector": self.load.selector, "_request_timeout": REQUEST_TIMEOUT}
        listed = [
            ("Pod", core.list_namespaced_pod(self.namespace, **options).items),
            ("Job", batch.list_namespaced_job(self.namespace, **options).items),
            ("Service", core.list_namespaced_service(self.namespace, **options).items),
            ("Secret", core.list_namespaced_secret(self.namespace, **options).items),
        ]
        return [f"{kind} {item.metadata.name}" for kind, items in listed for item in items]


def _deleted(delete: Any, *args: Any) -> None:
    try:
        delete(*args, _request_timeout=REQUEST_TIMEOUT)
    except Exception as error:
        if not is_missing(error):
            raise


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or str(error)
    return str(reason).strip().splitlines()[0][:300] if str(reason).strip() else type(error).__name__
