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

from envsim.plan.balancers import BalancerPlan
from envsim.plan.kubernetes_names import dns_label
from envsim.plan.kubernetes_objects import (
    NO_ANNOTATIONS,
    Manifest,
    StackNamespace,
    dependency_service_name,
    namespace_name,
    pod_labels,
    replica_service_name,
    service_manifest,
    service_port,
    upstream_service_name,
)
from envsim.plan.kubernetes_pods import (
    CREDENTIALS_SECRET,
    secret_directories,
    secret_file_layout,
    service_container,
)
from envsim.plan.kubernetes_seed_jobs import seed_config, seed_job
from envsim.plan.stack import (
    REPLICA_LABEL,
    ROLE_LABEL,
    SERVICE_LABEL,
    ContainerPlan,
    StackPlan,
    ToxiproxyPlan,
)
from envsim.units import format_duration

PUBLISH_ANNOTATION = "envsim.publish"
TOXIPROXY_CONFIG = "/etc/envsim-toxiproxy/proxies.json"


@dataclass(frozen=True)
class ClusterImages:
    """The images envsim's own pods run (the image layer knows the pinned references)."""

    toxiproxy: str
    mockserver: str
    balancer: str


def render_manifests(
    plan: StackPlan,
    images: ClusterImages,
    seed_files: Mapping[Path, str] = MappingProxyType({}),
    cluster_domain: str = "cluster.local",
) -> list[Manifest]:
    """Namespace, Secret, ConfigMaps, workloads, Services, seed Jobs, in the order they apply.
    `seed_files` holds the text of each seed step's SQL file (read by the caller)."""
    stack = StackNamespace(namespace_name(plan), plan.labels, cluster_domain)
    # An HAProxy there only for HTTP faults is left out: the manifests carry no fault switches
    balancers = tuple(b for b in plan.balancers if b.balances)
    balanced = {b.service: b for b in balancers}
    rotating = frozenset(c.name for c in plan.credentials if c.rotates)
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
    manifests += [seed_config(stack, seed, seed_files) for seed in plan.seeds]
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
    manifests += [seed_job(stack, plan, seed) for seed in plan.seeds]
    return manifests


def _services_in_order(plan: StackPlan) -> list[str]:
    return [service for level in plan.levels for service in level]


def _credentials_secret(stack: StackNamespace, plan: StackPlan) -> Manifest:
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


def _toxiproxy_config(stack: StackNamespace, toxiproxy: ToxiproxyPlan) -> Manifest:
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
    stack: StackNamespace,
    name: str,
    labels: tuple[tuple[str, str], ...],
    pod: dict[str, Any],
    *,
    replicas: int = 1,
    deadline: float | None = None,
    annotations: Mapping[str, str] = NO_ANNOTATIONS,
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


def _toxiproxy_deployment(stack: StackNamespace, toxiproxy: ToxiproxyPlan, images: ClusterImages) -> Manifest:
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


def _own_labels(stack: StackNamespace, labels: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A resource's labels beyond the stack's, without the replica number (pods share a template)."""
    return tuple((k, v) for k, v in stack.own(labels) if k != REPLICA_LABEL)


def _workload(
    stack: StackNamespace,
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


def _balancer_deployment(stack: StackNamespace, balancer: BalancerPlan, images: ClusterImages) -> Manifest:
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


def _toxiproxy_api_service(stack: StackNamespace, toxiproxy: ToxiproxyPlan) -> Manifest:
    labels = stack.own(toxiproxy.labels)
    return service_manifest(
        stack,
        toxiproxy_service_name(toxiproxy),
        labels,
        labels,
        [service_port("api", toxiproxy.api.container_port)],
        {PUBLISH_ANNOTATION: "api=127.0.0.1:free"},
    )


def _dependency_service(stack: StackNamespace, plan: StackPlan, toxiproxy: ToxiproxyPlan, service: str) -> Manifest:
    """The dependency's own name, answered by the Toxiproxy pod on the dependency's ports."""
    proxies = [p for p in toxiproxy.proxies if p.service == service]
    ports = [service_port(p.port_name, int(p.listen.rsplit(":", 1)[1])) for p in proxies]
    published = [f"{p.port_name}=127.0.0.1:{p.published.host_port or 'free'}" for p in proxies if p.published]
    annotations = {"envsim.interposer": toxiproxy_service_name(toxiproxy)}
    if published:
        annotations[PUBLISH_ANNOTATION] = ",".join(published)
    labels = ((ROLE_LABEL, "interposed"), (SERVICE_LABEL, service))
    return service_manifest(
        stack, dependency_service_name(service), labels, stack.own(toxiproxy.labels), ports, annotations
    )


def _upstream_services(
    stack: StackNamespace, container: ContainerPlan, balancer: BalancerPlan | None
) -> list[Manifest]:
    """The real service behind the interposer (the balancer, when there is one), and for
    balanced replicas the headless Service that names each of them."""
    if not container.ports:
        return []
    labels = _own_labels(stack, container.labels)
    ports = [service_port(p.name, p.container_port) for p in container.ports]
    if balancer is None:
        return [service_manifest(stack, upstream_service_name(container.service), labels, labels, ports)]
    balancer_labels = stack.own(balancer.labels)
    return [
        service_manifest(stack, upstream_service_name(container.service), balancer_labels, balancer_labels, ports),
        service_manifest(stack, replica_service_name(container.service), labels, labels, ports, headless=True),
    ]
