"""`partition: {between: [a, b]}` (both directions) or `partition: {from: a, to: b}` (one
way): two services lose each other while every other client of each keeps its traffic.

A partition acts on links (envsim.plan.stack: a client's own proxy to a target), so only the
named services' connections are cut. It blackholes them: a Toxiproxy `timeout` toxic with
timeout 0 on both streams drops every byte and closes nothing. A partitioned network sends no
reset either, so the app sees what it would see in production: silence until its own timeout
(a `down: true` with `from:` is the other failure, a refused connection).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.fault_kinds.kind import FaultContext, FaultKind, FaultReadings, FaultTools, StackView
from envsim.errors import Problem

STREAMS = ("downstream", "upstream")


@dataclass(frozen=True)
class Partition:
    links: tuple[tuple[str, str], ...]  # (client, target): the connections the client opens to the target


@dataclass(frozen=True)
class PartitionStep:
    toxiproxy: str
    proxy: str  # the link's proxy
    client: str
    target: str
    toxics: tuple[str, ...]  # one per stream


def partition_links(partition: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The directed links a written partition cuts (schema-valid)."""
    if "between" in partition:
        first, second = partition["between"]
        return ((first, second), (second, first))
    return ((partition["from"], partition["to"]),)


def partition_target(partition: Mapping[str, Any]) -> str:
    """The service a partition is listed under (plans, reports): the side that is connected to."""
    return str(partition["between"][1] if "between" in partition else partition["to"])


def build(spec: Mapping[str, Any]) -> tuple[Partition, ...]:
    return (Partition(partition_links(spec["partition"])),) if "partition" in spec else ()


def refs(context: FaultContext) -> list[Problem]:
    partition = context.mode.get("partition")
    if not isinstance(partition, Mapping):
        return []
    where = ("partition", "between") if "between" in partition else ("partition",)
    problems = [
        context.problem(key, f"a partition names its services under 'partition'; remove '{key}'", key_only=True)
        for key in ("target", "from")
        if key in context.mode
    ]
    try:
        links = partition_links(partition)
    except (KeyError, ValueError, TypeError):
        return problems  # the schema reported the shape
    if links[0][0] == links[0][1]:
        problems.append(context.problem(where, f"a service cannot be partitioned from itself ('{links[0][0]}')"))
    return problems


def summary(effects: tuple[Partition, ...]) -> str:
    return "partition"


def plan(fault: str, target: str, effects: tuple[Partition, ...], stack: StackView) -> tuple[PartitionStep, ...]:
    return tuple(
        PartitionStep(
            toxiproxy=toxiproxy,
            proxy=proxy,
            client=client,
            target=linked,
            toxics=tuple(f"envsim.{fault}.partition.{stream}" for stream in STREAMS),
        )
        for effect in effects
        for client, linked in effect.links
        for toxiproxy, proxy in stack.link_proxies(client, linked)
    )


def describe(step: PartitionStep) -> str:
    return f"partition {step.client} -/-> {step.target} (every byte dropped on {step.proxy})"


def apply(fault: str, step: PartitionStep, tools: FaultTools) -> None:
    for toxic, stream in zip(step.toxics, STREAMS, strict=True):
        tools.add_toxic(
            fault,
            step.toxiproxy,
            step.proxy,
            {"name": toxic, "type": "timeout", "stream": stream, "toxicity": 1.0, "attributes": {"timeout": 0}},
        )


def clear(fault: str, step: PartitionStep, tools: FaultTools) -> None:
    for toxic in step.toxics:
        tools.remove_toxic(fault, step.toxiproxy, step.proxy, toxic)


def active(step: PartitionStep, readings: FaultReadings) -> bool:
    return any(readings.toxic_present(toxic) for toxic in step.toxics)


KIND = FaultKind(
    name="partition",
    keys=("partition",),
    triggers=("partition",),
    effect=Partition,
    step=PartitionStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=clear,
    active=active,
)
