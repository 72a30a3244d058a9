"""Removing stacks by label, and reaping what a killed envsim process left behind.

Only resources carrying `envsim.stack` are ever touched: a foreign container on the same
engine is invisible to every query here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envsim.engine.docker_engine import (
    BUILT_AS_LABEL,
    labeled_containers,
    labeled_networks,
    labeled_volumes,
    stacks_in_engine,
)
from envsim.engine.stack_hold import is_hold, live_hold
from envsim.engine.state import StackState, state_root
from envsim.errors import EnvironmentProblem

if TYPE_CHECKING:
    import docker


@dataclass(frozen=True)
class RemovedCounts:
    containers: int = 0
    networks: int = 0
    volumes: int = 0

    def __add__(self, other: RemovedCounts) -> RemovedCounts:
        return RemovedCounts(
            self.containers + other.containers, self.networks + other.networks, self.volumes + other.volumes
        )

    def describe(self) -> str:
        return f"{self.containers} containers, {self.networks} networks, {self.volumes} volumes"


def remove_stack(client: docker.DockerClient, stack: str, env: Mapping[str, str]) -> RemovedCounts:
    """Remove every container, network and volume labeled with the stack; idempotent.

    Tolerates a racing creator: a container that appears on the network meanwhile is removed
    too (when it carries the stack's label) before the network is removed again.
    """
    from docker.errors import APIError, NotFound

    removed = RemovedCounts()
    for _ in range(5):
        containers = labeled_containers(client, stack)
        _remove_containers(containers)
        networks = labeled_networks(client, stack)
        busy = 0
        for network in networks:
            try:
                network.remove()
            except NotFound:
                pass
            except APIError as error:
                if "active endpoints" not in str(error):
                    raise EnvironmentProblem(f"could not remove network {network.name}: {error.explanation}") from None
                busy += 1
        # a live process's hold is its own to release: it says the stack was in use until then
        volumes = [v for v in labeled_volumes(client, stack) if not live_hold(v)]
        for volume in volumes:
            try:
                volume.remove(force=True)
            except NotFound:
                pass
        stack_volumes = [v for v in volumes if not is_hold(v)]  # a hold is no part of what the user made
        removed = removed + RemovedCounts(len(containers), len(networks) - busy, len(stack_volumes))
        if not busy:
            break
        time.sleep(0.5)
    else:
        raise EnvironmentProblem(f"stack {stack}: its network still has containers attached after repeated removal")
    StackState(state_root(env), stack).remove()
    return removed


def _remove_containers(containers: list) -> None:
    """Each container removed beside the others: the engine stops each one (up to a second or
    more for a database), and one after the other a stack's removals added up."""
    if len(containers) <= 1:
        for container in containers:
            _remove_container(container)
        return
    with ThreadPoolExecutor(max_workers=min(len(containers), 8), thread_name_prefix="envsim-remove") as pool:
        list(pool.map(_remove_container, containers))  # list(): a removal's error is raised here


def _remove_container(container) -> None:
    from docker.errors import APIError, NotFound

    try:
        # A paused container cannot be killed by force-remove on every engine version.
        if container.status == "paused":
            container.unpause()
        container.remove(force=True, v=True)
    except NotFound:
        pass
    except APIError as error:
        if "already in progress" not in str(error) and "No such container" not in str(error):
            raise EnvironmentProblem(f"could not remove container {container.name}: {error.explanation}") from None


def reap_abandoned(
    client: docker.DockerClient, env: Mapping[str, str], notify: Callable[[str], None] = lambda _: None
) -> list[str]:
    """Remove stacks whose creating process died (SIGKILL, power loss) before finishing."""
    reaped = []
    root = state_root(env)
    for stack in stacks_in_engine(client):
        if StackState(root, stack).is_abandoned():
            counts = remove_stack(client, stack, env)
            notify(f"removed leftovers of stack {stack} ({counts.describe()})")
            reaped.append(stack)
    return reaped


def remove_stack_images(client: docker.DockerClient, stack: str) -> int:
    """Remove every image envsim built for this stack's `build:` services (`down --images`).

    The current builds are found by their tag, earlier ones a rebuild left untagged by their
    BUILT_AS_LABEL; only images labeled envsim.managed=true are touched. An image a container
    still uses (another stack's) is kept.
    """
    from docker.errors import APIError, NotFound

    from envsim.plan.stack import built_image_tag

    prefix = built_image_tag(stack, "x").split("/")[0] + "/"
    removed = 0
    # The engine's list as it is (the SDK's images.list inspects each image after listing, and
    # fails when another process removed one in between: seen with two removals side by side).
    for entry in client.api.images(filters={"label": "envsim.managed=true"}):
        image_id = entry.get("Id")
        tags = [tag for tag in entry.get("RepoTags") or [] if tag != "<none>:<none>"]
        built_as = (entry.get("Labels") or {}).get(BUILT_AS_LABEL, "")
        if not image_id or not (built_as.startswith(prefix) or any(tag.startswith(prefix) for tag in tags)):
            continue
        if any(not tag.startswith(prefix) for tag in tags):
            continue  # also tagged as something else: not only this stack's
        try:
            client.images.remove(image_id, force=len(tags) > 1, noprune=False)
            removed += 1
        except (NotFound, APIError):
            pass  # in use by a container, or gone already
    return removed
