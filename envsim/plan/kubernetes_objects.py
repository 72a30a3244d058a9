"""What every manifest of a stack shares: its namespace, labels and the Services' names and shape.

Pure, as the rest of the plan's Kubernetes rendering (`kubernetes_manifests`, `kubernetes_seed_jobs`,
`kubernetes_load`): plain dicts, no cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from envsim.plan.balancers import replica_alias
from envsim.plan.kubernetes_names import dns_label, label_value
from envsim.plan.stack import UPSTREAM_PREFIX, StackPlan

Manifest = dict[str, Any]
NO_ANNOTATIONS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class StackNamespace:
    """The stack's namespace and the labels every object in it carries."""

    namespace: str
    labels: tuple[tuple[str, str], ...]
    cluster_domain: str

    def metadata(
        self, name: str, labels: tuple[tuple[str, str], ...] = (), annotations: Mapping[str, str] = NO_ANNOTATIONS
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


def service_manifest(
    stack: StackNamespace,
    name: str,
    labels: tuple[tuple[str, str], ...],
    selector: tuple[tuple[str, str], ...],
    ports: list[dict[str, Any]],
    annotations: Mapping[str, str] = NO_ANNOTATIONS,
    headless: bool = False,
) -> Manifest:
    spec: dict[str, Any] = {"selector": pod_labels(stack.labels + selector), "ports": ports}
    if headless:
        spec.update(clusterIP="None", publishNotReadyAddresses=True)
    return {"apiVersion": "v1", "kind": "Service", "metadata": stack.metadata(name, labels, annotations), "spec": spec}


def service_port(name: str, port: int, target: int | None = None) -> dict[str, Any]:
    return {"name": dns_label(name), "port": port, "targetPort": target or port, "protocol": "TCP"}
