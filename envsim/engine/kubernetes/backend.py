"""A Kubernetes cluster as a Backend: one namespace per stack, made from the plan's manifests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from envsim.engine.apply import ApplyProgress, StackHandle, check_startable
from envsim.engine.backend import KUBERNETES
from envsim.engine.docker_engine import connect
from envsim.engine.kubernetes.apply import apply_in_cluster, cluster_manifests, handle_from_forwards
from envsim.engine.kubernetes.cluster import Cluster, connect_cluster, namespace_of, stack_namespaces, stack_profiles
from envsim.engine.kubernetes.holds import cluster_hold, cluster_holders
from envsim.engine.kubernetes.images import ContainerdImporter, local_tag, push_images
from envsim.engine.kubernetes.port_forwards import (
    forwarded_publish_address,
    planned_forwards,
    running_forwarder,
    start_forwarder,
)
from envsim.engine.kubernetes.removal import remove_namespace
from envsim.engine.kubernetes.run_engine import KubernetesRunEngine
from envsim.engine.kubernetes.status import stack_status
from envsim.engine.stack_hold import Holder
from envsim.engine.state import PHASE_STARTING, StackState, state_root
from envsim.engine.status import StackStatus
from envsim.engine.teardown import RemovedCounts
from envsim.errors import EnvironmentProblem
from envsim.interrupts import uninterrupted
from envsim.plan.kubernetes_manifests import ClusterImages
from envsim.plan.stack import StackPlan

_OWN_IMAGES = ("toxiproxy", "mockserver", "balancer")  # image_ids keys of envsim's own images


class KubernetesBackend:
    """Stacks as labelled namespaces on one cluster; images from the local Docker engine."""

    name = KUBERNETES

    def __init__(self, cluster: Cluster, *, registry: str | None, env: Mapping[str, str]):
        self.cluster = cluster
        self.registry = registry
        self._env = dict(env)
        self._references: dict[str, str] = {}  # plan image (or own image key) -> cluster reference
        self._docker: Any = None

    @classmethod
    def connect(
        cls, *, kubeconfig: str | None, context: str | None, registry: str | None, env: Mapping[str, str]
    ) -> KubernetesBackend:
        return cls(connect_cluster(kubeconfig, context), registry=registry, env=env)

    def version(self) -> str:
        return f"kubernetes {self.cluster.version()}"

    def _docker_engine(self) -> Any:
        if self._docker is None:
            self._docker = connect()
        return self._docker

    def prepare_images(self, plan: StackPlan, image_ids: Mapping[str, str], progress: ApplyProgress) -> None:
        """Each image the stack's pods run, under a tag the local engine has (envsim's own images
        are tagged by what they were built as), imported into the cluster's containerd or pushed
        to the registry. Base images of builds stay behind."""
        docker = self._docker_engine()
        used = {c.image for c in plan.containers if c.stub is None} | set(_OWN_IMAGES)
        tags = {key: local_tag(docker, image_id, key) for key, image_id in image_ids.items() if key in used}
        by_tag = {tag: image_ids[key] for key, tag in tags.items()}
        notify = lambda message: progress.step("images", message)  # noqa: E731
        if self.registry:
            pushed = push_images(docker, by_tag, self.registry, notify)
            tags = {key: pushed[tag] for key, tag in tags.items()}
        else:
            ContainerdImporter.from_env(self._env).import_images(docker, by_tag, notify)
        self._references = tags

    def prepare_load_image(self, tag: str, progress: ApplyProgress) -> str:
        """The Locust image (built on the local engine) brought to the cluster as the stack's
        images are; the reference its pods use."""
        docker = self._docker_engine()
        images = {tag: docker.images.get(tag).id}
        notify = lambda message: progress.step("images", message)  # noqa: E731
        if self.registry:
            return push_images(docker, images, self.registry, notify)[tag]
        ContainerdImporter.from_env(self._env).import_images(docker, images, notify)
        return tag

    def apply(
        self,
        plan: StackPlan,
        image_ids: Mapping[str, str],
        env: Mapping[str, str],
        *,
        progress: ApplyProgress,
        cancel: threading.Event | None,
        keep: bool,
        final_phase: str,
    ) -> StackHandle:
        check_startable(plan)
        if not self._references:
            self.prepare_images(plan, image_ids, progress)
        refs = self._references
        images = ClusterImages(*(refs.get(key, "") for key in _OWN_IMAGES))
        manifests = cluster_manifests(plan, images, refs, image_ids)
        state = StackState(state_root(env), plan.stack)
        state.set_owner(PHASE_STARTING)
        secrets = state.secrets(plan.credentials)
        try:
            handle = apply_in_cluster(
                self.cluster, plan, manifests, secrets, state.directory, progress, cancel or threading.Event()
            )
        except BaseException:
            if not keep:
                progress.step(plan.stack, "removing what was started")
                with uninterrupted():
                    self.remove(plan.stack, env)
            raise
        state.set_owner(final_phase)
        return handle

    def attach(self, plan: StackPlan, env: Mapping[str, str]) -> StackHandle:
        if not stack_namespaces(self.cluster, plan.stack):
            raise EnvironmentProblem(
                f"stack {plan.stack} is not running", hint=f"start it with `envsim up {plan.profile}`"
            )
        state = StackState(state_root(env), plan.stack)
        plan = replace(plan, publish_address=forwarded_publish_address(state.directory))  # where `up` put them
        urls = start_forwarder(self.cluster, state.directory, namespace_of(plan.stack), planned_forwards(plan))
        return handle_from_forwards(plan, urls, state.secrets(plan.credentials))

    def is_running(self, plan: StackPlan) -> bool:
        status = self.status(plan.stack)
        return bool(status.containers) and all(c.state == "running" for c in status.containers)

    def status(self, stack: str) -> StackStatus:
        directory = StackState(state_root(self._env), stack).directory
        status = stack_status(self.cluster, stack, running_forwarder(directory))
        return replace(status, publish_address=forwarded_publish_address(directory))

    def remove(self, stack: str, env: Mapping[str, str]) -> RemovedCounts:
        return remove_namespace(self.cluster, stack, StackState(state_root(env), stack))

    def stacks(self) -> list[str]:
        return sorted(stack_profiles(self.cluster))

    def stack_profiles(self) -> dict[str, str | None]:
        return stack_profiles(self.cluster)

    def reap(self, env: Mapping[str, str], notify: Callable[[str], None]) -> list[str]:
        """Namespaces whose creating process died, judged by this state directory as on Docker."""
        reaped = []
        for stack in self.stacks():
            state = StackState(state_root(env), stack)
            if state.is_abandoned():
                counts = self.remove(stack, env)
                notify(f"removed leftovers of stack {stack} ({counts.describe()})")
                reaped.append(stack)
        return reaped

    def holders(self, stack: str) -> list[Holder]:
        return cluster_holders(self.cluster, stack)

    def hold(self, stack: str, command: str) -> AbstractContextManager[None]:
        return cluster_hold(self.cluster, stack, command)

    def run_engine(self, handle: StackHandle) -> KubernetesRunEngine:
        return KubernetesRunEngine(self.cluster, handle.plan, handle.toxiproxy_urls)
