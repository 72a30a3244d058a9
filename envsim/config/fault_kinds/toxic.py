"""Toxiproxy toxics on every proxy in front of a service: latency (with jitter), bandwidth,
timeout, reset_peer, slow_close, slicer, limit_data; `direction` and `toxicity` shape them all.

Toxic names are derived from the failure mode, so clearing a fault removes exactly what
applying it added, even from another process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from envsim.config.fault_kinds.kind import (
    FaultContext,
    FaultKind,
    FaultReadings,
    FaultTools,
    StackView,
    needs_ports,
)
from envsim.errors import Problem
from envsim.units import parse_duration, parse_percent, parse_size, percent_out_of_range

# Toxiproxy's toxic types in the order they are created.
TOXIC_KEYS = ("latency", "bandwidth", "timeout", "reset_peer", "slow_close", "slicer", "limit_data")


@dataclass(frozen=True)
class Toxic:
    """One Toxiproxy toxic: type is latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data."""

    type: str
    attributes: tuple[tuple[str, int], ...]
    stream: Literal["upstream", "downstream"] = "downstream"
    toxicity: float = 1.0


@dataclass(frozen=True)
class ToxicStep:
    toxiproxy: str  # Toxiproxy container name
    proxy: str
    toxic: str  # toxic name
    type: str
    stream: Literal["upstream", "downstream"]
    toxicity: float
    attributes: tuple[tuple[str, int], ...]


def toxic_name(fault: str, toxic_type: str, stream: str) -> str:
    return f"envsim.{fault}.{toxic_type}.{stream}"


def _millis(value: Any) -> int:
    return round((parse_duration(value) or 0.0) * 1000)


def toxic_attributes(key: str, spec: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """Toxiproxy's attributes, in its units: milliseconds, KB/s, bytes, microseconds (slicer delay)."""
    value = spec[key]
    if key == "latency":
        return (("latency", _millis(value)), ("jitter", _millis(spec.get("jitter", 0))))
    if key == "bandwidth":
        return (("rate", max(1, round((parse_size(value) or 0) / 1024))),)
    if key == "slow_close":
        return (("delay", _millis(value)),)
    if key in ("timeout", "reset_peer"):
        return (("timeout", _millis(value)),)
    if key == "slicer":
        return (
            ("average_size", value["average_size"]),
            ("size_variation", value.get("size_variation", 0)),
            ("delay", round((parse_duration(value.get("delay", 0)) or 0.0) * 1_000_000)),
        )
    return (("bytes", parse_size(value) or 0),)


def build(spec: Mapping[str, Any]) -> tuple[Toxic, ...]:
    direction = spec.get("direction", "downstream")
    streams: tuple[Literal["upstream", "downstream"], ...] = (
        ("downstream", "upstream") if direction == "both" else (direction,)
    )
    toxicity = parse_percent(spec.get("toxicity", 1.0))
    if toxicity is None:  # the schema has rejected it already
        raise ValueError(f"not a percentage: {spec['toxicity']!r}")
    return tuple(
        Toxic(type=key, attributes=toxic_attributes(key, spec), stream=stream, toxicity=toxicity)
        for key in spec
        if key in TOXIC_KEYS
        for stream in streams
    )


def refs(context: FaultContext) -> list[Problem]:
    mode = context.mode
    problems = needs_ports(context)
    if percent_out_of_range(mode.get("toxicity")):
        problems.append(context.problem("toxicity", "must be between 0% and 100%"))
    rate = parse_size(mode.get("bandwidth")) if isinstance(mode.get("bandwidth"), (str, int)) else None
    if rate is not None and rate < 1024:
        problems.append(
            context.problem("bandwidth", "must be at least 1k (bytes per second): bandwidth is limited in whole KB/s")
        )
    return problems


def summary(effects: tuple[Toxic, ...]) -> str:
    return ", ".join(t.type for t in effects)


def plan(fault: str, target: str, effects: tuple[Toxic, ...], stack: StackView) -> tuple[ToxicStep, ...]:
    return tuple(
        ToxicStep(
            toxiproxy=toxiproxy,
            proxy=proxy,
            toxic=toxic_name(fault, toxic.type, toxic.stream),
            type=toxic.type,
            stream=toxic.stream,
            toxicity=toxic.toxicity,
            attributes=toxic.attributes,
        )
        for toxiproxy, proxy in stack.proxies(target)
        for toxic in effects
    )


def describe(step: ToxicStep) -> str:
    attrs = ", ".join(f"{k}={v}" for k, v in step.attributes)
    share = "" if step.toxicity >= 1 else f" on {step.toxicity:.0%} of connections"
    return f"{step.type}({attrs}) {step.stream} on {step.proxy}{share}"


def apply(fault: str, step: ToxicStep, tools: FaultTools) -> None:
    tools.add_toxic(
        fault,
        step.toxiproxy,
        step.proxy,
        {
            "name": step.toxic,
            "type": step.type,
            "stream": step.stream,
            "toxicity": step.toxicity,
            "attributes": dict(step.attributes),
        },
    )


def clear(fault: str, step: ToxicStep, tools: FaultTools) -> None:
    tools.remove_toxic(fault, step.toxiproxy, step.proxy, step.toxic)


def active(step: ToxicStep, readings: FaultReadings) -> bool:
    return readings.toxic_present(step.toxic)


KIND = FaultKind(
    name="toxic",
    keys=(*TOXIC_KEYS, "jitter", "direction", "toxicity"),
    triggers=TOXIC_KEYS,
    effect=Toxic,
    step=ToxicStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=clear,
    active=active,
)
