"""`container: kill | stop | restart | pause`: a Docker action on every container of a service;
clearing the fault undoes it (start, unpause; a restart leaves nothing to undo)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from envsim.config.fault_kinds.kind import FaultContext, FaultKind, FaultReadings, FaultTools, StackView
from envsim.errors import Problem

# What undoes each container action when the fault is cleared.
CONTAINER_UNDO = {"kill": "start", "stop": "start", "pause": "unpause", "restart": None}


@dataclass(frozen=True)
class ContainerFault:
    action: Literal["kill", "stop", "restart", "pause"]


@dataclass(frozen=True)
class ContainerStep:
    container: str
    action: str  # kill | stop | restart | pause
    undo: str | None  # start | unpause | None


def build(spec: Mapping[str, Any]) -> tuple[ContainerFault, ...]:
    return (ContainerFault(spec["container"]),) if spec.get("container") else ()


def refs(context: FaultContext) -> list[Problem]:
    return []  # the schema says it all: an action on containers every service has


def summary(effects: tuple[ContainerFault, ...]) -> str:
    return f"container {effects[0].action}"


def plan(fault: str, target: str, effects: tuple[ContainerFault, ...], stack: StackView) -> tuple[ContainerStep, ...]:
    return tuple(
        ContainerStep(container, effect.action, CONTAINER_UNDO[effect.action])
        for effect in effects
        for container in stack.containers(target)
    )


def describe(step: ContainerStep) -> str:
    return f"{step.action} {step.container}"


def apply(fault: str, step: ContainerStep, tools: FaultTools) -> None:
    tools.container_action(step.container, step.action)


def clear(fault: str, step: ContainerStep, tools: FaultTools) -> None:
    if step.undo:
        tools.container_action(step.container, step.undo)


def active(step: ContainerStep, readings: FaultReadings) -> bool:
    """Held paused or stopped; a restart leaves nothing to see, so it never shows as active."""
    status = readings.container_status(step.container)
    return (step.action == "pause" and status == "paused") or (step.action in ("kill", "stop") and status == "exited")


KIND = FaultKind(
    name="container",
    keys=("container",),
    triggers=("container",),
    effect=ContainerFault,
    step=ContainerStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=clear,
    active=active,
)
