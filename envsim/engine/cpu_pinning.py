"""The stack's containers on the cores the load generator leaves them, for the length of a run.

Docker changes a running container's cpuset in place (`docker update --cpuset-cpus`), so a
stack that is already up is pinned without a restart, and given back the cpuset it had once
the run ends (a stack kept for the next run is not left pinned to a choice this run made).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import docker.errors

from envsim.engine.docker_engine import labeled_containers

if TYPE_CHECKING:
    import docker


def cpuset(cores: tuple[int, ...]) -> str:
    return ",".join(str(core) for core in cores)


@contextlib.contextmanager
def stack_pinned(client: docker.DockerClient, stack: str, cores: tuple[int, ...]) -> Iterator[tuple[str, ...]]:
    """Pin every running container of `stack` to `cores` (none: leave them be); yields their names."""
    if not cores:
        yield ()
        return
    before: dict[str, str] = {}
    try:
        for container in labeled_containers(client, stack):
            if container.status != "running":
                continue
            previous = container.attrs.get("HostConfig", {}).get("CpusetCpus") or ""
            try:
                container.update(cpuset_cpus=cpuset(cores))
            except docker.errors.NotFound:
                continue  # removed meanwhile: the stack watch names that
            before[container.name] = previous
        yield tuple(sorted(before))
    finally:
        if before:
            try:
                _restore(client, stack, before)
            except Exception:  # the engine went away or the stack was removed: never hide why the run ended
                pass


def _restore(client: docker.DockerClient, stack: str, before: dict[str, str]) -> None:
    every_core = _every_core(client)
    for container in labeled_containers(client, stack):
        if container.name in before:
            try:
                container.update(cpuset_cpus=before[container.name] or every_core)
            except docker.errors.APIError:
                continue  # removed or stopped meanwhile: nothing left to give back


def _every_core(client: docker.DockerClient) -> str:
    """The engine's cores: an empty cpuset does not undo a pin, naming them all does."""
    count = int(client.info().get("NCPU") or 1)
    return f"0-{count - 1}" if count > 1 else "0"
