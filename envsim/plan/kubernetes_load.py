"""The manifests of a run's load in the cluster (`envsim run --on kubernetes --load-on cluster`).

Locust runs as Jobs in the stack's namespace, on the image `envsim/locust-worker` (this envsim
and the Locust the master pins): one Job for the runner alone, or one for the master and one per
worker, each with one pod that is never retried or replaced (`backoffLimit: 0`), since a worker
the run lost must stay lost and be named. The workers reach the master through the Service
`envsim-load-master`. Every object carries the stack's labels and the role `load`, so `down`
(which deletes the namespace) and a run's own clean-up find them by label.

The child's config may hold rendered secret headers: it reaches the pod only as a file of the
Secret `envsim-load-config`, whose manifest here has no data (the engine fills it in when it
creates it), so nothing built here holds a secret value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envsim.plan.kubernetes_objects import dependency_service_name, namespace_name, pod_labels
from envsim.plan.stack import LABEL_PREFIX, ROLE_LABEL, SERVICE_LABEL, ProxyPlan, StackPlan

LOAD_ROLE = "load"
LOAD_PART_LABEL = f"{LABEL_PREFIX}.load-part"  # "runner", "master" or "worker-N"
CONFIG_SECRET = "envsim-load-config"
CONFIG_DIR = "/etc/envsim-load"
CONFIG_FILE = "config.json"
LOCUSTFILE_FILE = "locustfile.py"
MASTER_SERVICE = "envsim-load-master"
MASTER_PORT = 5557
CHILD_COMMAND = ["python", "-m", "envsim.run.locust_child"]

Manifest = dict[str, Any]


@dataclass(frozen=True)
class ClusterLoadPlan:
    """One run's load pods: where they run, on which image, how many workers."""

    namespace: str
    labels: tuple[tuple[str, str], ...]  # the stack's
    image: str  # as the cluster has it
    workers: int  # 0: one runner

    @property
    def parts(self) -> list[str]:
        """The Jobs' parts, the one whose messages the run reads first."""
        if not self.workers:
            return ["runner"]
        return ["master", *(f"worker-{index}" for index in range(1, self.workers + 1))]

    def job_name(self, part: str) -> str:
        return f"envsim-load-{part}"

    @property
    def main_part(self) -> str:
        return self.parts[0]

    @property
    def selector(self) -> str:
        """Every object of the load, as a label selector."""
        return f"{ROLE_LABEL}={LOAD_ROLE}"


def cluster_load_plan(stack: StackPlan, image: str, workers: int) -> ClusterLoadPlan:
    return ClusterLoadPlan(namespace_name(stack), stack.labels, image, workers)


def cluster_target(entry: ProxyPlan) -> str:
    """The entry point as pods address it: its Service, answered by Toxiproxy, so the entry
    point's faults apply to the load as they do from the host."""
    return f"{entry.scheme}://{dependency_service_name(entry.service)}:{entry.listen.rsplit(':', 1)[1]}"


def load_manifests(load: ClusterLoadPlan) -> list[Manifest]:
    """The Secret (without data), the master's Service (with workers), then the Jobs."""
    manifests = [_config_secret(load)]
    if load.workers:
        manifests.append(_master_service(load))
    manifests += [_job(load, part) for part in load.parts]
    return manifests


def _metadata(load: ClusterLoadPlan, name: str, part: str | None = None) -> dict[str, Any]:
    labels = load.labels + ((ROLE_LABEL, LOAD_ROLE),)
    if part is not None:
        labels += ((LOAD_PART_LABEL, part), (SERVICE_LABEL, f"{part} (load)"))
    return {"name": name, "namespace": load.namespace, "labels": pod_labels(labels)}


def _config_secret(load: ClusterLoadPlan) -> Manifest:
    metadata = _metadata(load, CONFIG_SECRET)
    metadata["annotations"] = {"envsim.data": f"{CONFIG_FILE} (and {LOCUSTFILE_FILE}), written by envsim run"}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque"}


def _master_service(load: ClusterLoadPlan) -> Manifest:
    selector = pod_labels(load.labels + ((ROLE_LABEL, LOAD_ROLE), (LOAD_PART_LABEL, "master")))
    ports = [{"name": "locust", "port": MASTER_PORT, "targetPort": MASTER_PORT, "protocol": "TCP"}]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(load, MASTER_SERVICE),
        "spec": {"selector": selector, "ports": ports},
    }


def _arguments(load: ClusterLoadPlan, part: str) -> tuple[list[str], list[str]]:
    """(command, args) of a part's container; the image's entrypoint is a worker's."""
    master = ["--master-port", str(MASTER_PORT)]
    if part.startswith("worker-"):
        return CHILD_COMMAND, ["--role", "worker", "--master-host", MASTER_SERVICE, *master, "--name", part]
    config = f"{CONFIG_DIR}/{CONFIG_FILE}"
    if part == "runner":
        return CHILD_COMMAND, [config, "--role", "local", "--stats-stdout"]
    return CHILD_COMMAND, [config, "--role", "master", "--master-host", "0.0.0.0", *master, "--stats-stdout"]


def _job(load: ClusterLoadPlan, part: str) -> Manifest:
    command, args = _arguments(load, part)
    container: dict[str, Any] = {
        "name": "locust",
        "image": load.image,
        "imagePullPolicy": "IfNotPresent",
        "command": command,
        "args": args,
    }
    pod: dict[str, Any] = {"restartPolicy": "Never", "containers": [container], "terminationGracePeriodSeconds": 15}
    if not part.startswith("worker-"):  # workers get their config from the master
        container["volumeMounts"] = [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}]
        pod["volumes"] = [{"name": "config", "secret": {"secretName": CONFIG_SECRET, "defaultMode": 0o400}}]
    if part == "master":
        container["ports"] = [{"name": "locust", "containerPort": MASTER_PORT}]
    metadata = _metadata(load, load.job_name(part), part)
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            "backoffLimit": 0,  # a lost pod is not replaced: the run names it instead
            "template": {"metadata": {"labels": metadata["labels"]}, "spec": pod},
        },
    }
