"""The Docker engine as a Backend: the engine modules, unchanged, behind the one interface."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from envsim.engine.apply import ApplyProgress, StackHandle, apply_stack
from envsim.engine.attach import attach_stack, is_running
from envsim.engine.backend import DOCKER
from envsim.engine.docker_engine import connect, stack_profiles, stacks_in_engine
from envsim.engine.docker_run_engine import DockerRunEngine
from envsim.engine.stack_hold import Holder, live_holders, stack_hold
from envsim.engine.status import StackStatus, stack_status
from envsim.engine.teardown import RemovedCounts, reap_abandoned, remove_stack
from envsim.plan.stack import StackPlan

if TYPE_CHECKING:
    import docker


class DockerBackend:
    """Stacks as labelled containers, networks and volumes on one Docker engine."""

    name = DOCKER

    def __init__(self, client: docker.DockerClient | None = None):
        self.client = client or connect()

    def version(self) -> str:
        return f"docker {self.client.version().get('Version', '?')}"

    def prepare_images(self, plan: StackPlan, image_ids: Mapping[str, str], progress: ApplyProgress) -> None:
        pass  # the images were prepared on this very engine

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
        return apply_stack(
            self.client, plan, image_ids, env, progress=progress, cancel=cancel, keep=keep, final_phase=final_phase
        )

    def attach(self, plan: StackPlan, env: Mapping[str, str]) -> StackHandle:
        return attach_stack(self.client, plan, env)

    def is_running(self, plan: StackPlan) -> bool:
        return is_running(self.client, plan)

    def status(self, stack: str) -> StackStatus:
        return stack_status(self.client, stack)

    def remove(self, stack: str, env: Mapping[str, str]) -> RemovedCounts:
        return remove_stack(self.client, stack, env)

    def stacks(self) -> list[str]:
        return stacks_in_engine(self.client)

    def stack_profiles(self) -> dict[str, str | None]:
        return stack_profiles(self.client)

    def reap(self, env: Mapping[str, str], notify: Callable[[str], None]) -> list[str]:
        return reap_abandoned(self.client, env, notify)

    def holders(self, stack: str) -> list[Holder]:
        return live_holders(self.client, stack)

    def hold(self, stack: str, command: str) -> AbstractContextManager[None]:
        return stack_hold(self.client, stack, command)

    def run_engine(self, handle: StackHandle) -> DockerRunEngine:
        return DockerRunEngine(self.client, handle.plan)
