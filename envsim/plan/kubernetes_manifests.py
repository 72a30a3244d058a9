"""A StackPlan as Kubernetes manifests (plain dicts), meaning what the Docker engine makes of it.

Pure: no cluster, no files, no `kubernetes` import. One namespace per stack; every object
carries the stack's `envsim.*` labels. Interposition is the same as on Docker: the Service
named after a dependency (`db`) selects the stack's Toxiproxy pod, which listens on the
dependency's ports (its proxies come from a ConfigMap) and forwards to the real pods behind
the Service `envsim-upstream-db`. So the app's configuration (`db:5432`) is the same on both.

Request-balanced replicas are a StatefulSet: each replica needs a name of its own for the
balancer, as each container has one on Docker (`api-0.envsim-replica-api`).

Secret values never appear: the credentials Secret is rendered without data and says, in an
annotation, what `envsim up` writes into it. Published ports stay ClusterIP Services with an
annotation naming the loopback port envsim forwards to them, since Docker publishes on
127.0.0.1 only and a NodePort would reach other machines.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from envsim.plan.balancers import BalancerPlan, replica_alias
from envsim.plan.kubernetes_names import dns_label, label_value
from envsim.plan.kubernetes_pods import (
    CREDENTIALS_SECRET,
    env_entries,
    secret_directories,
    secret_file_layout,
    service_container,
)
from envsim.plan.seed import SeedPlan, SeedStepPlan
from envsim.plan.stack import (
    REPLICA_LABEL,
    ROLE_LABEL,
    SERVICE_LABEL,
    UPSTREAM_PREFIX,
    ContainerPlan,
    StackPlan,
    ToxiproxyPlan,
)
from envsim.units import format_duration

Manifest = dict[str, Any]
PUBLISH_ANNOTATION = "envsim.publish"
TOXIPROXY_CONFIG = "/etc/envsim-toxiproxy/proxies.json"
SEED_DIR = "/envsim/seed"
_NONE: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class ClusterImages:
    """The images envsim's own pods run (the image layer knows the pinned references)."""

    toxiproxy: str
    mockserver: str
    balancer: str


@dataclass(frozen=True)
class _Stack:
    namespace: str
    labels: tuple[tuple[str, str], ...]
    cluster_domain: str

    def metadata(
        self, name: str, labels: tuple[tuple[str, str], ...] = (), annotations: Mapping[str, str] = _NONE
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"name": name, "namespace": self.namespace, "labels": pod_labels(self.labels + labels)}
        if annotations:
            data["annotations"] = dict(annotations)
        return data

    def own(self, labels: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        """A resource's labels beyond the stack's own."""
        shared = dict(self.labels)
        return tuple((k, v) for k, v in labels if k not in shared)


def pod_labels(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {key: label_value(value) for key, value in pairs}


def namespace_name(plan: StackPlan) -> str:
    return dns_label(f"envsim-{plan.stack}")


def dependency_service_name(service: str) -> str:
    return dns_label(service, letter_first=True)


def upstream_service_name(service: str) -> str:
    return dns_label(f"{UPSTREAM_PREFIX}{service}")


def replica_service_name(service: str) -> str:
    return dns_label(replica_alias(service))


def render_manifests(
    plan: StackPlan,
    images: ClusterImages,
    seed_files: Mapping[Path, str] = MappingProxyType({}),
    cluster_domain: str = "cluster.local",
) -> list[Manifest]:
    """Namespace, Secret, ConfigMaps, workloads, Services, seed Jobs, in the order they apply.
    `seed_files` holds the text of each seed step's SQL file (read by the caller)."""
    stack = _Stack(namespace_name(plan), plan.labels, cluster_domain)
    # An HAProxy there only for HTTP faults is left out: the manifests carry no fault switches
    balancers = tuple(b for b in plan.balancers if b.balances)
    balanced = {b.service: b for b in balancers}
    rotating = frozenset(c.name for c in plan.credentials if c.ttl and c.generate != "value")
    manifests: list[Manifest] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": stack.namespace, "labels": pod_labels(plan.labels)},
        },
    ]
    if plan.credentials:
        manifests.append(_credentials_secret(stack, plan))
    manifests += [_toxiproxy_config(stack, t) for t in plan.toxiproxies]
    manifests += [_seed_config(stack, seed, seed_files) for seed in plan.seeds]
    manifests += [_toxiproxy_deployment(stack, t, images) for t in plan.toxiproxies]
    for service in _services_in_order(plan):
        first = plan.containers_of(service)[0]
        replicas = len(plan.containers_of(service))
        manifests.append(_workload(stack, first, replicas, images, service in balanced, rotating))
    manifests += [_balancer_deployment(stack, b, images) for b in balancers]
    manifests += [_toxiproxy_api_service(stack, t) for t in plan.toxiproxies]
    manifests += [_dependency_service(stack, plan, t, service) for t in plan.toxiproxies for service in t.aliases]
    for service in _services_in_order(plan):
        manifests += _upstream_services(stack, plan.containers_of(service)[0], balanced.get(service))
    manifests += [_seed_job(stack, plan, seed) for seed in plan.seeds]
    return manifests


def _services_in_order(plan: StackPlan) -> list[str]:
    return [service for level in plan.levels for service in level]


def _credentials_secret(stack: _Stack, plan: StackPlan) -> Manifest:
    described = [
        f"{c.name} (generated {c.generate}" + (f", rotated every {format_duration(c.ttl)}" if c.ttl else "") + ")"
        if c.generate != "value"
        else f"{c.name} (from the caller's environment)"
        for c in plan.credentials
    ]
    annotations = {
        "envsim.credentials": ", ".join(described),
        "envsim.filled-by": "envsim up writes one key per credential; a plan never holds the values",
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": stack.metadata(CREDENTIALS_SECRET, ((ROLE_LABEL, "credentials"),), annotations),
    }


def _toxiproxy_config(stack: _Stack, toxiproxy: ToxiproxyPlan) -> Manifest:
    proxies = [
        {
            "name": p.name,
            "listen": p.listen,
            "enabled": True,
            "upstream": f"{upstream_service_name(p.service)}:{p.upstream.rsplit(':', 1)[1]}",
        }
        for p in toxiproxy.proxies
    ]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": stack.metadata(toxiproxy_service_name(toxiproxy), stack.own(toxiproxy.labels)),
        "data": {"proxies.json": json.dumps(proxies, indent=2) + "\n"},
    }


def toxiproxy_service_name(toxiproxy: ToxiproxyPlan) -> str:
    """The Deployment, ConfigMap and API Service of one Toxiproxy."""
    return f"envsim-toxiproxy-{dict(toxiproxy.labels)[REPLICA_LABEL]}"


def _deployment(
    stack: _Stack,
    name: str,
    labels: tuple[tuple[str, str], ...],
    pod: dict[str, Any],
    *,
    replicas: int = 1,
    deadline: float | None = None,
    annotations: Mapping[str, str] = _NONE,
) -> Manifest:
    selector = pod_labels(stack.labels + labels)
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": selector},
        "template": {"metadata": {"labels": selector}, "spec": pod},
    }
    if deadline is not None:
        spec["progressDeadlineSeconds"] = max(1, round(deadline))
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": stack.metadata(name, labels, annotations),
        "spec": spec,
    }


def _toxiproxy_deployment(stack: _Stack, toxiproxy: ToxiproxyPlan, images: ClusterImages) -> Manifest:
    name = toxiproxy_service_name(toxiproxy)
    api = toxiproxy.api.container_port
    container = {
        "name": "toxiproxy",
        "image": images.toxiproxy,
        "imagePullPolicy": "IfNotPresent",
        "args": ["-host=0.0.0.0", f"-port={api}", f"-config={TOXIPROXY_CONFIG}"],
        "ports": [{"name": "api", "containerPort": api, "protocol": "TCP"}]
        + [{"containerPort": int(p.listen.rsplit(":", 1)[1]), "protocol": "TCP"} for p in toxiproxy.proxies],
        "readinessProbe": {"httpGet": {"path": "/version", "port": api}, "periodSeconds": 1},
        "volumeMounts": [{"name": "proxies", "mountPath": TOXIPROXY_CONFIG.rsplit("/", 1)[0], "readOnly": True}],
    }
    pod = {"containers": [container], "volumes": [{"name": "proxies", "configMap": {"name": name}}]}
    return _deployment(stack, name, stack.own(toxiproxy.labels), pod)


def _own_labels(stack: _Stack, labels: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A resource's labels beyond the stack's, without the replica number (pods share a template)."""
    return tuple((k, v) for k, v in stack.own(labels) if k != REPLICA_LABEL)


def _workload(
    stack: _Stack,
    container: ContainerPlan,
    replicas: int,
    images: ClusterImages,
    balanced: bool,
    rotating: frozenset[str] = frozenset(),
) -> Manifest:
    name = dns_label(container.service)
    image = images.mockserver if container.stub is not None else container.image
    mounts, volumes = secret_file_layout(container.secret_files, rotating)
    pod: dict[str, Any] = {"containers": [service_container(container, name, image, mounts)]}
    if volumes:
        pod["volumes"] = volumes
    if secret_directories(volumes):
        pod["automountServiceAccountToken"] = False
    annotations = (
        {"envsim.stub": "expectations loaded by envsim up over MockServer's REST API"}
        if container.stub is not None
        else {}
    )
    labels = _own_labels(stack, container.labels)
    deadline = container.health.start_period if container.health else None
    manifest = _deployment(stack, name, labels, pod, replicas=replicas, deadline=deadline, annotations=annotations)
    if container.health is not None and container.health.kind == "running":
        manifest["spec"]["minReadySeconds"] = math.ceil(container.health.running_for)
    if balanced:
        # stable per-replica names (api-0.envsim-replica-api) for the balancer to spread requests over
        spec = manifest["spec"]
        spec.pop("progressDeadlineSeconds", None)  # StatefulSets have none
        spec.update(serviceName=replica_service_name(container.service), podManagementPolicy="Parallel")
        manifest["kind"] = "StatefulSet"
    return manifest


def _balancer_deployment(stack: _Stack, balancer: BalancerPlan, images: ClusterImages) -> Manifest:
    workload, headless = dns_label(balancer.service), replica_service_name(balancer.service)
    replicas = [
        f"{workload}-{index}.{headless}.{stack.namespace}.svc.{stack.cluster_domain}"
        for index in range(len(balancer.replicas))
    ]
    container = {
        "name": "balancer",
        "image": images.balancer,
        "imagePullPolicy": "IfNotPresent",
        "args": [" ".join(map(str, balancer.ports)), *replicas],
        "ports": [{"containerPort": port, "protocol": "TCP"} for port in balancer.ports],
        "readinessProbe": {"tcpSocket": {"port": balancer.ports[0]}, "periodSeconds": 1},
    }
    return _deployment(
        stack, dns_label(f"envsim-balancer-{balancer.service}"), stack.own(balancer.labels), {"containers": [container]}
    )


def _service(
    stack: _Stack,
    name: str,
    labels: tuple[tuple[str, str], ...],
    selector: tuple[tuple[str, str], ...],
    ports: list[dict[str, Any]],
    annotations: Mapping[str, str] = _NONE,
    headless: bool = False,
) -> Manifest:
    spec: dict[str, Any] = {"selector": pod_labels(stack.labels + selector), "ports": ports}
    if headless:
        spec.update(clusterIP="None", publishNotReadyAddresses=True)
    return {"apiVersion": "v1", "kind": "Service", "metadata": stack.metadata(name, labels, annotations), "spec": spec}


def _port(name: str, port: int, target: int | None = None) -> dict[str, Any]:
    return {"name": dns_label(name), "port": port, "targetPort": target or port, "protocol": "TCP"}


def _toxiproxy_api_service(stack: _Stack, toxiproxy: ToxiproxyPlan) -> Manifest:
    labels = stack.own(toxiproxy.labels)
    return _service(
        stack,
        toxiproxy_service_name(toxiproxy),
        labels,
        labels,
        [_port("api", toxiproxy.api.container_port)],
        {PUBLISH_ANNOTATION: "api=127.0.0.1:free"},
    )


def _dependency_service(stack: _Stack, plan: StackPlan, toxiproxy: ToxiproxyPlan, service: str) -> Manifest:
    """The dependency's own name, answered by the Toxiproxy pod on the dependency's ports."""
    proxies = [p for p in toxiproxy.proxies if p.service == service]
    ports = [_port(p.port_name, int(p.listen.rsplit(":", 1)[1])) for p in proxies]
    published = [f"{p.port_name}=127.0.0.1:{p.published.host_port or 'free'}" for p in proxies if p.published]
    annotations = {"envsim.interposer": toxiproxy_service_name(toxiproxy)}
    if published:
        annotations[PUBLISH_ANNOTATION] = ",".join(published)
    labels = ((ROLE_LABEL, "interposed"), (SERVICE_LABEL, service))
    return _service(stack, dependency_service_name(service), labels, stack.own(toxiproxy.labels), ports, annotations)


def _upstream_services(stack: _Stack, container: ContainerPlan, balancer: BalancerPlan | None) -> list[Manifest]:
    """The real service behind the interposer (the balancer, when there is one), and for
    balanced replicas the headless Service that names each of them."""
    if not container.ports:
        return []
    labels = _own_labels(stack, container.labels)
    ports = [_port(p.name, p.container_port) for p in container.ports]
    if balancer is None:
        return [_service(stack, upstream_service_name(container.service), labels, labels, ports)]
    balancer_labels = stack.own(balancer.labels)
    return [
        _service(stack, upstream_service_name(container.service), balancer_labels, balancer_labels, ports),
        _service(stack, replica_service_name(container.service), labels, labels, ports, headless=True),
    ]


def _seed_name(seed: SeedPlan) -> str:
    return dns_label(f"envsim-seed-{seed.service}")


def _step_sql(step: SeedStepPlan, seed_files: Mapping[Path, str]) -> str:
    if step.sql is not None:
        return step.sql
    assert step.file is not None, "a seed step is generated SQL or a file"
    return seed_files[step.file]


def _seed_config(stack: _Stack, seed: SeedPlan, seed_files: Mapping[Path, str]) -> Manifest:
    data = {f"step-{index:02d}.sql": _step_sql(step, seed_files) for index, step in enumerate(seed.steps, start=1)}
    labels = ((ROLE_LABEL, "seed"), (SERVICE_LABEL, seed.service))
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": stack.metadata(_seed_name(seed), labels), "data": data}


# psql as the seeding on Docker runs it (envsim.engine.seeding), over the network to the real
# service instead of its socket; PGPASSWORD comes from the service's own POSTGRES_PASSWORD.
_SEED_SCRIPT = (
    'set -eu; export PGUSER="${POSTGRES_USER:-postgres}" PGDATABASE="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"; '
    "until pg_isready -q; do sleep 1; done; "
    f'for step in {SEED_DIR}/step-*.sql; do psql -X -v ON_ERROR_STOP=1 -q -f "$step"; done'
)


def _seed_job(stack: _Stack, plan: StackPlan, seed: SeedPlan) -> Manifest:
    """Run once `envsim up` finds the service ready; not retried, since a seed need not be idempotent."""
    target = plan.containers_of(seed.service)[0]
    env = env_entries(target.env)
    env.append({"name": "PGHOST", "value": upstream_service_name(seed.service)})
    if target.ports:
        env.append({"name": "PGPORT", "value": str(target.ports[0].container_port)})
    if any(name == "POSTGRES_PASSWORD" for name, _ in target.env):
        env.append({"name": "PGPASSWORD", "value": "$(POSTGRES_PASSWORD)"})
    name = _seed_name(seed)
    container = {
        "name": "seed",
        "image": target.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", _SEED_SCRIPT],
        "env": env,
        "volumeMounts": [{"name": "seed", "mountPath": SEED_DIR, "readOnly": True}],
    }
    labels = ((ROLE_LABEL, "seed"), (SERVICE_LABEL, seed.service))
    pod = {
        "restartPolicy": "Never",
        "containers": [container],
        "volumes": [{"name": "seed", "configMap": {"name": name}}],
    }
    annotations = {"envsim.seed": "; ".join(step.description for step in seed.steps)}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": stack.metadata(name, labels, annotations),
        "spec": {
            "backoffLimit": 0,
            "template": {"metadata": {"labels": pod_labels(stack.labels + labels)}, "spec": pod},
        },
    }


def seed_file_paths(plan: StackPlan) -> tuple[Path, ...]:
    """The SQL files whose text `render_manifests` needs in `seed_files`."""
    return tuple(step.file for seed in plan.seeds for step in seed.steps if step.file is not None)
