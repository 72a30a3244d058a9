"""A StackPlan made real in its namespace: the plan's manifests, applied in start order, health-gated.

Order, as on Docker: the namespace, the credentials Secret (with its values, written here and
nowhere else), ConfigMaps and Services; the stack's port-forward; Toxiproxy; then each dependency
level's workloads, each waited for until its readiness probe (the profile's `health`) passes, and
seeded by its Job once ready. Objects go in by server-side apply, so a second `up` converges:
unchanged objects stay, changed ones roll, and a Job that ran is not run again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from envsim.engine.apply import ApplyProgress, StackHandle
from envsim.engine.kubernetes.cluster import Cluster
from envsim.engine.kubernetes.port_forwards import (
    DIRECT_KEY,
    STUB_KEY,
    TOXIPROXY_KEY,
    planned_forwards,
    start_forwarder,
)
from envsim.engine.kubernetes.rollout import DEFAULT_WAIT, wait_for_job, wait_for_workload
from envsim.engine.stubs import load_stub
from envsim.errors import InputError
from envsim.plan.kubernetes_manifests import ClusterImages, render_manifests, toxiproxy_service_name
from envsim.plan.kubernetes_names import dns_label
from envsim.plan.kubernetes_objects import Manifest, namespace_name
from envsim.plan.kubernetes_seed_jobs import seed_file_paths
from envsim.plan.stack import StackPlan

FIELD_MANAGER = "envsim"
IMAGES_ANNOTATION = "envsim.images"  # on pod templates: a rebuilt image rolls the pods


def _read_seed_files(plan: StackPlan) -> dict[Path, str]:
    texts = {}
    for path in seed_file_paths(plan):
        try:
            texts[path] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise InputError(f"{path}: cannot read the seed file: {reason}") from None
    return texts


def _pod_templates(manifest: Manifest) -> list[dict[str, Any]]:
    spec = manifest.get("spec", {})
    return [spec["template"]] if "template" in spec else []


def cluster_manifests(
    plan: StackPlan, images: ClusterImages, references: Mapping[str, str], image_ids: Mapping[str, str]
) -> list[Manifest]:
    """The plan's manifests with every image named as the cluster knows it (`references`: plan
    image -> cluster reference) and each pod template annotated with its images' ids."""
    manifests = render_manifests(plan, images, _read_seed_files(plan))
    ids_by_reference = {references.get(name, name): image_id for name, image_id in image_ids.items()}
    ids_by_reference.update(
        {
            getattr(images, key): image_ids[key]
            for key in ("toxiproxy", "mockserver", "balancer")
            if key in image_ids and getattr(images, key)
        }
    )
    for manifest in manifests:
        for template in _pod_templates(manifest):
            used = []
            for container in template["spec"]["containers"]:
                container["image"] = references.get(container["image"], container["image"])
                used.append(ids_by_reference.get(container["image"], "?").removeprefix("sha256:")[:12])
            template["metadata"].setdefault("annotations", {})[IMAGES_ANNOTATION] = ",".join(used)
    return manifests


class _Writer:
    """Server-side apply of plain-dict manifests, through the dynamic client."""

    def __init__(self, cluster: Cluster):
        from kubernetes import dynamic

        self.client = dynamic.DynamicClient(cluster.api_client)
        self._resources: dict[tuple[str, str], Any] = {}

    def apply(self, manifest: Manifest) -> None:
        key = (manifest["apiVersion"], manifest["kind"])
        if key not in self._resources:
            self._resources[key] = self.client.resources.get(api_version=key[0], kind=key[1])
        namespace = manifest["metadata"].get("namespace")
        self._resources[key].server_side_apply(
            body=manifest, namespace=namespace, field_manager=FIELD_MANAGER, force_conflicts=True
        )


def apply_in_cluster(
    cluster: Cluster,
    plan: StackPlan,
    manifests: list[Manifest],
    secrets: Mapping[str, str],
    state_dir: Path,
    progress: ApplyProgress,
    cancel: threading.Event,
) -> StackHandle:
    namespace = namespace_name(plan)
    writer = _Writer(cluster)
    by_name = {(m["kind"], m["metadata"]["name"]): m for m in manifests}
    progress.step(plan.stack, f"namespace {namespace}")
    for manifest in manifests:
        if manifest["kind"] in ("Namespace", "Secret", "ConfigMap", "Service"):
            if manifest["kind"] == "Secret":
                manifest = {**manifest, "stringData": dict(secrets)}
            writer.apply(manifest)
    urls = start_forwarder(cluster, state_dir, namespace, planned_forwards(plan))
    waiter = _Waiter(cluster, namespace, cancel, list(secrets.values()), progress)
    for toxiproxy in plan.toxiproxies:
        deployment = by_name[("Deployment", toxiproxy_service_name(toxiproxy))]
        progress.step("toxiproxy", "starting")
        writer.apply(deployment)
        waiter.workload(deployment, "toxiproxy", DEFAULT_WAIT)
        progress.step("toxiproxy", f"ready, {len(toxiproxy.proxies)} proxies")
    for level in plan.levels:
        for service in level:  # the level's workloads start together, then each is waited for
            _start_service(writer, by_name, plan, service, progress)
        for service in level:
            _finish_service(waiter, writer, by_name, plan, service, urls, secrets)
    return _handle(plan, urls, secrets)


def _workloads(by_name: Mapping[tuple[str, str], Manifest], service: str) -> list[Manifest]:
    names = (dns_label(service), dns_label(f"envsim-balancer-{service}"))
    return [
        by_name[(kind, name)] for name in names for kind in ("Deployment", "StatefulSet") if (kind, name) in by_name
    ]


def _start_service(writer: _Writer, by_name, plan: StackPlan, service: str, progress: ApplyProgress) -> None:
    replicas = len(plan.containers_of(service))
    progress.step(service, f"starting {replicas} pod{'s' if replicas > 1 else ''}")
    for workload in _workloads(by_name, service):
        writer.apply(workload)


def _finish_service(waiter: _Waiter, writer: _Writer, by_name, plan: StackPlan, service: str, urls, secrets) -> None:
    first = plan.containers_of(service)[0]
    health = first.health
    timeout = health.start_period if health else DEFAULT_WAIT
    waiter.progress.step(service, f"waiting for health ({health.kind})" if health else "waiting for its pods")
    for workload in _workloads(by_name, service):
        waiter.workload(workload, service, timeout)
    job = by_name.get(("Job", dns_label(f"envsim-seed-{service}")))
    if job is not None:
        waiter.progress.step(service, "seeding (a Job)")
        writer.apply(job)
        waiter.job(job, f"service {service}: seeding", max(DEFAULT_WAIT, timeout))
    if first.stub is not None:
        served = load_stub(urls[STUB_KEY + first.name], service, first.stub, secrets, waiter.cancel)
        waiter.progress.step(service, f"stub loaded, {served} expectations")
    waiter.progress.step(service, "healthy" if health and health.kind != "running" else "started")


class _Waiter:
    def __init__(self, cluster: Cluster, namespace: str, cancel: threading.Event, secrets, progress: ApplyProgress):
        self.cluster, self.namespace, self.cancel, self.secrets = cluster, namespace, cancel, secrets
        self.progress = progress

    def workload(self, manifest: Manifest, service: str, timeout: float) -> None:
        subject = f"service {service}: {manifest['kind']} {manifest['metadata']['name']}"
        wait_for_workload(self.cluster, self.namespace, manifest, subject, timeout, self.cancel, self.secrets)

    def job(self, manifest: Manifest, subject: str, timeout: float) -> None:
        wait_for_job(self.cluster, self.namespace, manifest, subject, timeout, self.cancel, self.secrets)


def _handle(plan: StackPlan, urls: Mapping[str, str], secrets: Mapping[str, str]) -> StackHandle:
    """The forwarded addresses (the entry points on the plan's publish address, the rest on
    127.0.0.1), as a Docker stack's handle has them."""
    toxiproxy_urls = {t.name: urls[TOXIPROXY_KEY + t.name] for t in plan.toxiproxies}
    entry_urls = {key: url for key, url in urls.items() if not key.startswith((TOXIPROXY_KEY, STUB_KEY, DIRECT_KEY))}
    port: Callable[[str], int] = lambda url: int(urlsplit(url).port or 0)  # noqa: E731
    direct: dict[str, dict[str, int]] = {
        key.removeprefix(STUB_KEY): {"admin": port(url)} for key, url in urls.items() if key.startswith(STUB_KEY)
    }
    for key, url in urls.items():
        if key.startswith(DIRECT_KEY):
            container, _, port_name = key.removeprefix(DIRECT_KEY).rpartition(":")
            direct.setdefault(container, {})[port_name] = port(url)
    return StackHandle(
        plan=plan,
        toxiproxy_urls=toxiproxy_urls,
        entry_urls=entry_urls,
        direct_ports=direct,
        secrets=secrets,
        publish_address=plan.publish_address,
    )


def handle_from_forwards(plan: StackPlan, urls: Mapping[str, str], secrets: Mapping[str, str]) -> StackHandle:
    return _handle(plan, urls, secrets)
