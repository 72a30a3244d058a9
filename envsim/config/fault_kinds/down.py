"""`down: true`: every proxy in front of a service is disabled, so connections are refused
and open ones closed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.fault_kinds.kind import (
    FaultContext,
    FaultKind,
    FaultReadings,
    FaultTools,
    StackView,
    needs_ports,
)
from envsim.errors import Problem


@dataclass(frozen=True)
class ProxiesDown:
    """The service's proxies refuse connections."""


@dataclass(frozen=True)
class ProxyStep:
    toxiproxy: str
    proxy: str


def build(spec: Mapping[str, Any]) -> tuple[ProxiesDown, ...]:
    return (ProxiesDown(),) if spec.get("down", False) is True else ()


def refs(context: FaultContext) -> list[Problem]:
    return needs_ports(context)


def summary(effects: tuple[ProxiesDown, ...]) -> str:
    return "down"


def plan(fault: str, target: str, effects: tuple[ProxiesDown, ...], stack: StackView) -> tuple[ProxyStep, ...]:
    return tuple(ProxyStep(toxiproxy, proxy) for toxiproxy, proxy in stack.proxies(target)) if effects else ()


def describe(step: ProxyStep) -> str:
    return f"proxy {step.proxy} down"


def apply(fault: str, step: ProxyStep, tools: FaultTools) -> None:
    tools.set_proxy_enabled(step.toxiproxy, step.proxy, False)


def clear(fault: str, step: ProxyStep, tools: FaultTools) -> None:
    tools.set_proxy_enabled(step.toxiproxy, step.proxy, True)


def active(step: ProxyStep, readings: FaultReadings) -> bool:
    return readings.proxy_disabled(step.proxy)


KIND = FaultKind(
    name="down",
    keys=("down",),
    triggers=("down",),
    effect=ProxiesDown,
    step=ProxyStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=clear,
    active=active,
)
