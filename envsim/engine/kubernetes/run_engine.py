"""A Kubernetes cluster as a run's RunEngine: pod exec, pod operations for container faults,
pod states and logs, and a watch on the cluster and the stack's namespace.

By default the load goes from this machine to the stack's entry point through the stack's
port-forward (forwarder.py), so the journal says `host via port-forward`; with `--load-on
cluster` it runs as Jobs in the namespace instead (load_jobs.py) and the journal says `cluster`.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from envsim.engine.container_facts import LOG_LINES, ContainerFacts
from envsim.engine.docker_engine import timed_lines
from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster, is_missing, namespace_of
from envsim.engine.kubernetes.credential_files import own_client, refresh_files, update_secret
from envsim.engine.kubernetes.pod_exec import pod_exec
from envsim.engine.kubernetes.pod_faults import (
    REPLACE_POD,
    SCALE_BACK,
    SCALE_TO_ZERO,
    Workloads,
    acts_per_pod,
    grace_period,
    pod_operation,
    removes_pods,
)
from envsim.engine.kubernetes.proxy_holds import ProxyHolds
from envsim.engine.kubernetes.status import pod_state
from envsim.engine.run_engine import ExecResult
from envsim.engine.seeding import SQL_PATH, psql_command
from envsim.engine.stack_watch import StackChanged
from envsim.errors import EnvironmentProblem
from envsim.journal import ContainerEvent, LogExcerpt
from envsim.plan.kubernetes_names import dns_label, label_value
from envsim.plan.kubernetes_objects import upstream_service_name
from envsim.plan.stack import ROLE_LABEL, SERVICE_LABEL, ContainerPlan, StackPlan
from envsim.plan.stand_ins import stand_in_of_image

LOAD_PATH = "host via port-forward"


class KubernetesRunEngine:
    load_path = LOAD_PATH
    docker = None  # no Docker engine runs the stack: link and DNS faults are refused

    def __init__(self, cluster: Cluster, plan: StackPlan, toxiproxy_urls: Mapping[str, str] | None = None):
        self.cluster, self._plan = cluster, plan
        self.namespace = namespace_of(plan.stack)
        self._workloads = Workloads(cluster, self.namespace)
        self.proxy_holds = ProxyHolds(plan, toxiproxy_urls or {}, self._serving)
        self._balanced = {b.service for b in plan.balancers if b.balances}
        # clients of their own: rotations exec while the watch makes plain calls, and the holds'
        # threads make plain calls while checks exec (credential_files.own_client)
        self._rotation_cluster, self._holds_cluster = own_client(cluster), own_client(cluster)

    def pods(self, service: str) -> list[Any]:
        """The service's pods (not its seed Job's), by name; terminating ones left out."""
        return self._pods(self.cluster, service)

    def _pods(self, cluster: Cluster, service: str) -> list[Any]:
        selector = f"{ROLE_LABEL}=service,{SERVICE_LABEL}={label_value(service)}"
        items = cluster.core.list_namespaced_pod(
            self.namespace, label_selector=selector, _request_timeout=REQUEST_TIMEOUT
        ).items
        return sorted((p for p in items if p.metadata.deletion_timestamp is None), key=lambda p: p.metadata.name)

    def _ready_pod(self, service: str) -> str:
        pods = self.pods(service)
        ready = [p for p in pods if pod_state(p) == "running"] or pods
        if not ready:
            raise EnvironmentProblem(f"service {service} has no pod in namespace {self.namespace}")
        return str(ready[0].metadata.name)

    def exec(self, service: str, command: Sequence[str]) -> ExecResult:
        return pod_exec(self.cluster, self.namespace, self._ready_pod(service), command)

    def sql(self, service: str, sql: str, *, tuples_only: bool = False, database: str = "") -> str:
        # exec has no file copy: the SQL travels base64-encoded as the shell's $0, written to the
        # file psql reads, as on Docker (ON_ERROR_STOP, no quoting of the user's text)
        encoded = base64.b64encode(sql.encode()).decode()
        before = f'printf %s "$0" | base64 -d > {SQL_PATH} && '
        command = psql_command(SQL_PATH, tuples_only=tuples_only, database=database, before=before, zeroth=encoded)
        code, stdout, stderr = self.exec(service, command)
        if code != 0:
            raise RuntimeError(stderr.strip() or stdout.strip() or f"psql exited with {code}")
        return stdout

    def _container(self, name: str) -> ContainerPlan:
        for container in self._plan.containers:
            if container.name == name:
                return container
        raise EnvironmentProblem(f"stack {self._plan.stack} has no container {name}")

    def container_action(self, container: str, action: str) -> None:
        planned = self._container(container)
        operation, workload = pod_operation(action), dns_label(planned.service)
        try:
            # no dial of Toxiproxy's may go to a pod that is gone (proxy_holds.py); a balanced
            # service's upstream is its balancer, which stays
            held = planned.service not in self._balanced
            if held and removes_pods(operation):
                self.proxy_holds.hold(planned.service)
            self._operate(planned, operation, workload)
            if held and operation in (SCALE_BACK, REPLACE_POD):
                self.proxy_holds.release(planned.service)
        except EnvironmentProblem:
            raise
        except Exception as error:
            raise EnvironmentProblem(f"could not {operation} of service {planned.service}: {error}") from None

    def _operate(self, planned: ContainerPlan, operation: str, workload: str) -> None:
        if acts_per_pod(operation):  # a pod per replica
            pods = self.pods(planned.service)
            if planned.replica < len(pods):
                self._workloads.delete_pod(pods[planned.replica].metadata.name, grace_period(operation))
        elif planned.replica != 0:
            return  # one operation on the workload stands for all its replicas
        elif operation == SCALE_TO_ZERO:
            self._workloads.scale(workload, 0)
        elif operation == SCALE_BACK:
            self._workloads.scale(workload, len(self._plan.containers_of(planned.service)))

    def _serving(self, service: str) -> bool:
        """Every replica of the service ready, and listed ready behind its upstream Service."""
        from kubernetes import client

        ready = {p.status.pod_ip for p in self._pods(self._holds_cluster, service) if pod_state(p) == "running"}
        if len(ready) < len(self._plan.containers_of(service)):
            return False
        slices = client.DiscoveryV1Api(self._holds_cluster.api_client).list_namespaced_endpoint_slice(
            self.namespace,
            label_selector=f"kubernetes.io/service-name={upstream_service_name(service)}",
            _request_timeout=REQUEST_TIMEOUT,
        )
        listed = {
            address
            for item in slices.items
            for endpoint in item.endpoints or []
            if endpoint.conditions is None or endpoint.conditions.ready is not False
            for address in endpoint.addresses or []
        }
        return ready <= listed

    def update_credential(self, credential: str, value: str) -> None:
        """The stack's Secret takes the rotated value: pods started from now on have it."""
        update_secret(self._rotation_cluster, self.namespace, credential, value)

    def rewrite_secret_files(
        self, container: str, files: tuple[tuple[str, str], ...], secrets: Mapping[str, str]
    ) -> None:
        """The replica's pod shows the Secret's current value in each file (credential_files.py)."""
        planned = self._container(container)
        pods = self.pods(planned.service)
        if planned.replica >= len(pods):
            raise EnvironmentProblem(f"container {container} has no pod: cannot refresh its secret files")
        refresh_files(self._rotation_cluster, self.namespace, pods[planned.replica].metadata.name, files, secrets)

    def container_status(self, container: str) -> str | None:
        """`exited` while the service's workload is scaled to 0, else `running`."""
        replicas = self._workloads.replicas(dns_label(self._container(container).service))
        return None if replicas is None else "exited" if replicas == 0 else "running"

    def facts(self, plan: StackPlan, redact: Iterable[str], load_start: float, with_logs: bool) -> ContainerFacts:
        return pod_facts(self, plan, tuple(redact), load_start, with_logs)

    def watch(self) -> ClusterWatch:
        return ClusterWatch(self.cluster, self._plan.stack)

    @contextlib.contextmanager
    def pinned(self, cores: tuple[int, ...]) -> Iterator[tuple[str, ...]]:
        if cores:  # validate refuses load.cpus on Kubernetes; this is the library's last word
            raise EnvironmentProblem("load.cpus pins containers to cores: on the Docker engine only")
        yield ()


def pod_facts(
    engine: KubernetesRunEngine, plan: StackPlan, redact: tuple[str, ...], load_start: float, with_logs: bool
) -> ContainerFacts:
    """As container_facts on Docker: a pod stands for each planned container (by replica order)."""
    load_start_wall = time.time() - (time.monotonic() - load_start)
    events: list[ContainerEvent] = []
    logs: list[LogExcerpt] = []
    images: dict[str, str] = {}
    pods_by_service = {service: engine.pods(service) for service in {c.service for c in plan.containers}}
    for container in plan.containers:
        now = time.monotonic() - load_start
        pods = pods_by_service[container.service]
        if container.replica >= len(pods):  # stopped by a fault and not scaled back, or removed
            events.append(ContainerEvent(now, container.service, container.name, "missing"))
            continue
        pod = pods[container.replica]
        statuses = pod.status.container_statuses or []
        images[container.name] = statuses[0].image_id if statuses else ""
        state = pod_state(pod)
        events.extend(_events_of(pod, container, state, now))
        if with_logs or state != "running":
            timed = _log_lines(engine, pod.metadata.name, load_start_wall - 5, redact)
            logs.append(LogExcerpt.of_timed_lines(container.service, now, timed, load_start_wall, container.replica))
    broken = _broken_infrastructure(engine, load_start, events)
    return ContainerFacts(tuple(events), tuple(logs), images, tuple(broken), _stand_ins(plan, images))


def _stand_ins(plan: StackPlan, images: dict[str, str]) -> dict[str, dict[str, str]]:
    """The offline stand-ins the pods ran, read from the local Docker engine the images were
    prepared on (an imported image keeps its id); none when that engine cannot say."""
    try:
        from envsim.engine.docker_engine import connect

        docker = connect()
    except Exception:  # a cluster elsewhere, with no Docker engine here: nothing to say
        return {}
    found = {}
    for container in plan.containers:
        try:
            labels = docker.images.get(images[container.name]).labels or {}
        except Exception:  # not on this engine (pulled by the cluster itself)
            continue
        stand_in = stand_in_of_image(labels, [container.image] if container.image else [])
        if stand_in is not None:
            found[container.name] = stand_in
    return found


def _events_of(pod: Any, container: ContainerPlan, state: str, now: float) -> list[ContainerEvent]:
    events = []
    for status in pod.status.container_statuses or []:
        last = status.last_state.terminated if status.last_state else None
        if last is not None and last.reason == "OOMKilled":
            events.append(ContainerEvent(now, container.service, container.name, "oom", "killed for memory"))
        if status.restart_count:
            detail = f"{status.restart_count} restarts"
            events.append(ContainerEvent(now, container.service, container.name, "restart", detail))
    if state != "running":
        events.append(ContainerEvent(now, container.service, container.name, "not running", state))
    return events


def _log_lines(engine: KubernetesRunEngine, pod: str, since: float, redact: tuple[str, ...]) -> list[tuple[float, str]]:
    try:
        text = engine.cluster.core.read_namespaced_pod_log(
            pod,
            engine.namespace,
            timestamps=True,
            since_seconds=max(1, round(time.time() - since)),
            tail_lines=LOG_LINES,
            _request_timeout=REQUEST_TIMEOUT,
        )
    except Exception:  # the pod may be gone already; logs are a courtesy here
        return []
    return timed_lines(str(text), LOG_LINES, redact)


def _broken_infrastructure(engine: KubernetesRunEngine, load_start: float, events: list[ContainerEvent]) -> list[str]:
    """envsim's own Toxiproxy and balancer pods that were not running at the end."""
    broken = []
    pods = engine.cluster.core.list_namespaced_pod(engine.namespace, _request_timeout=REQUEST_TIMEOUT).items
    for pod in pods:
        role = (pod.metadata.labels or {}).get(ROLE_LABEL)
        if role in ("toxiproxy", "balancer") and pod.metadata.deletion_timestamp is None:
            state = pod_state(pod)
            if state != "running":
                broken.append(f"{role} {pod.metadata.name} ({state})")
                events.append(ContainerEvent(time.monotonic() - load_start, role, pod.metadata.name, state))
    return broken


class ClusterWatch:
    """Asks the apiserver every second whether it answers and the stack's namespace and
    workloads are all still there; `check` raises once either went away."""

    INTERVAL, MISSES = 1.0, 2

    def __init__(self, cluster: Cluster, stack: str):
        self.cluster, self.stack, self.namespace = cluster, stack, namespace_of(stack)
        self.lost: str | None = None  # why the cluster counts as gone
        self.removed: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._workloads: set[str] = set()

    def start(self) -> ClusterWatch:
        self._workloads = self._present() or set()
        self._thread = threading.Thread(target=self._watch, name="envsim-cluster-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(REQUEST_TIMEOUT + self.INTERVAL)

    def check(self, during: str) -> None:
        if self.lost is not None:
            raise EnvironmentProblem(
                f"the Kubernetes cluster stopped answering at {self.cluster.server} during {during}: {self.lost}"
            )
        if self.removed:
            raise StackChanged(self.stack, list(self.removed), during)

    def _present(self) -> set[str] | None:
        """The namespace's Deployments and StatefulSets; None when the namespace is gone or going."""
        try:
            namespace = self.cluster.core.read_namespace(self.namespace, _request_timeout=REQUEST_TIMEOUT)
        except Exception as error:
            if is_missing(error):
                return None
            raise
        if namespace.metadata.deletion_timestamp is not None:
            return None
        apps, timeout = self.cluster.apps, REQUEST_TIMEOUT
        deployments = apps.list_namespaced_deployment(self.namespace, _request_timeout=timeout).items
        sets = apps.list_namespaced_stateful_set(self.namespace, _request_timeout=timeout).items
        return {f"Deployment {d.metadata.name}" for d in deployments} | {f"StatefulSet {s.metadata.name}" for s in sets}

    def _watch(self) -> None:
        failed = 0
        while not self._stop.wait(self.INTERVAL):
            try:
                present = self._present()
                failed = 0
            except Exception as error:  # urllib3, TLS, timeouts: the cluster did not answer
                failed += 1
                if failed >= self.MISSES:
                    self.lost = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
                    return
                continue
            if present is None:
                self.removed.append(f"namespace {self.namespace}")
                return
            gone = sorted(self._workloads - present)
            if gone:
                self.removed.extend(gone)
                return
