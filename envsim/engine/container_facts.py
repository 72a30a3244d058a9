"""What the engine saw of a stack's containers at the end of a run, as plain journal records."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envsim.engine.docker_engine import timed_log_lines
from envsim.journal import ContainerEvent, LogExcerpt
from envsim.plan.stack import StackPlan
from envsim.plan.stand_ins import stand_in_of_image

if TYPE_CHECKING:
    import docker

LOG_LINES = 300  # of the load's time: reports pick the lines of a failed check's window


@dataclass(frozen=True)
class ContainerFacts:
    events: tuple[ContainerEvent, ...]
    logs: tuple[LogExcerpt, ...]
    images: dict[str, str]  # container name -> image id
    # envsim's own containers (Toxiproxy, request balancers) that were not running at the end
    broken_infrastructure: tuple[str, ...] = ()
    # container name -> the offline stand-in it ran (StandIn.to_dict()), for images that were one
    stand_ins: dict[str, dict[str, str]] = field(default_factory=dict)


def container_facts(
    client: docker.DockerClient,
    plan: StackPlan,
    redact: Iterable[str],
    load_start: float,
    with_logs: bool,
) -> ContainerFacts:
    """Events (missing, OOM-killed, restarted, not running) at `time.monotonic() - load_start`,
    and the last log lines of every container when `with_logs` or when it is down; values in
    `redact` (secrets) never reach the excerpts."""
    redact = tuple(redact)
    load_start_wall = time.time() - (time.monotonic() - load_start)
    events: list[ContainerEvent] = []
    logs: list[LogExcerpt] = []
    images: dict[str, str] = {}
    stand_ins: dict[str, dict[str, str]] = {}
    for container_plan in plan.containers:
        now = time.monotonic() - load_start
        try:
            container = client.containers.get(container_plan.name)
        except Exception:  # gone (killed by a fault and not restarted): recorded as an event
            events.append(ContainerEvent(now, container_plan.service, container_plan.name, "missing"))
            continue
        images[container_plan.name] = container.attrs.get("Image", "")
        stand_in = _stand_in(container, container_plan.image)
        if stand_in is not None:
            stand_ins[container_plan.name] = stand_in
        events.extend(_events_of(container, container_plan.service, now))
        if with_logs or container.status != "running":
            timed = timed_log_lines(container, load_start_wall - 5, LOG_LINES, redact)
            logs.append(
                LogExcerpt.of_timed_lines(container_plan.service, now, timed, load_start_wall, container_plan.replica)
            )
    broken = []
    for name, role in [
        *((t.name, "toxiproxy") for t in plan.toxiproxies),
        *((b.name, "balancer") for b in plan.balancers),
    ]:
        state = _state_of(client, name)
        if state != "running":
            broken.append(f"{role} {name} ({state})")
            events.append(ContainerEvent(time.monotonic() - load_start, role, name, state))
    return ContainerFacts(tuple(events), tuple(logs), images, tuple(broken), stand_ins)


def _stand_in(container, requested: str) -> dict[str, str] | None:
    """The stand-in a container ran in place of `requested`, from its image's labels."""
    import docker.errors

    try:
        labels = container.image.labels or {}
    except docker.errors.DockerException:  # the image went away meanwhile: nothing to say
        return None
    return stand_in_of_image(labels, [requested] if requested else [])


def _state_of(client, name: str) -> str:
    try:
        return client.containers.get(name).status
    except Exception:  # removed, or the engine cannot say: either way it did not serve
        return "missing"


def _events_of(container, service: str, now: float) -> list[ContainerEvent]:
    state = container.attrs.get("State", {})
    events = []
    if state.get("OOMKilled"):
        events.append(ContainerEvent(now, service, container.name, "oom", "killed for memory"))
    restarts = container.attrs.get("RestartCount")
    if restarts:
        events.append(ContainerEvent(now, service, container.name, "restart", f"{restarts} restarts"))
    if container.status != "running":
        events.append(
            ContainerEvent(now, service, container.name, container.status, f"exit code {state.get('ExitCode')}")
        )
    return events
