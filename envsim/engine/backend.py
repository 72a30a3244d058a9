"""The engine operations the api layer uses, behind one interface with a Docker and a Kubernetes side.

Planning knows nothing of either: a backend takes a StackPlan (and the images the image layer
prepared on the local Docker engine) and makes it real, reads it back, removes it. Each
backend keeps the same labels, state directory, exit codes and messages, so a front end does
not care which one runs a stack.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Protocol

from envsim.engine.apply import ApplyProgress, StackHandle
from envsim.engine.run_engine import RunEngine
from envsim.engine.stack_hold import Holder
from envsim.engine.status import StackStatus
from envsim.engine.teardown import RemovedCounts
from envsim.plan.stack import StackPlan

DOCKER = "docker"
KUBERNETES = "kubernetes"
BACKENDS = (DOCKER, KUBERNETES)


class Backend(Protocol):
    """One engine that runs stacks: the local Docker engine or a Kubernetes cluster."""

    name: str  # "docker" or "kubernetes"

    def version(self) -> str:
        """The engine's own version, as the journal records it (`docker 20.10.24+dfsg1`, `kubernetes v1.34.3`)."""
        ...

    def prepare_images(self, plan: StackPlan, image_ids: Mapping[str, str], progress: ApplyProgress) -> None:
        """Make the images prepared on the local Docker engine (plan image name -> image id)
        available to the engine that runs the stack."""
        ...

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
        """Start the stack health-gated (converging on re-runs); on failure what was started
        is removed unless `keep`."""
        ...

    def attach(self, plan: StackPlan, env: Mapping[str, str]) -> StackHandle:
        """The running stack's addresses; EnvironmentProblem when it is not running."""
        ...

    def is_running(self, plan: StackPlan) -> bool: ...

    def status(self, stack: str) -> StackStatus: ...

    def remove(self, stack: str, env: Mapping[str, str]) -> RemovedCounts:
        """Remove everything of the stack and its state directory; idempotent."""
        ...

    def stacks(self) -> list[str]: ...

    def stack_profiles(self) -> dict[str, str | None]:
        """Each stack's profile name, from its labels."""
        ...

    def reap(self, env: Mapping[str, str], notify: Callable[[str], None]) -> list[str]:
        """Remove the stacks whose creating process died before finishing."""
        ...

    def holders(self, stack: str) -> list[Holder]:
        """The live envsim processes (other than this one) using the stack."""
        ...

    def hold(self, stack: str, command: str) -> AbstractContextManager[None]:
        """Mark the stack as used by this process for the block."""
        ...

    def run_engine(self, handle: StackHandle) -> RunEngine:
        """What a scenario run on the stack needs from the engine (exec, container faults, facts)."""
        ...
