"""Fault plans: what applying and clearing a failure mode does, resolved against a StackPlan.

Toxics are only ever created from these plans. Names are derived from the failure mode, so
clearing a fault removes exactly what applying it added, even from another process.
"""

from __future__ import annotations

from dataclasses import dataclass

from envsim.config.model import FailureMode, HttpErrorFault, Profile
from envsim.plan.stack import StackPlan

# What undoes each container action when the fault is cleared.
CONTAINER_UNDO = {"kill": "start", "stop": "start", "pause": "unpause", "restart": None}


@dataclass(frozen=True)
class ToxicStep:
    toxiproxy: str  # Toxiproxy container name
    proxy: str
    toxic: str  # toxic name
    type: str
    stream: str
    toxicity: float
    attributes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ProxyStep:
    """`down`: the proxy is disabled, so connections are refused and open ones closed."""

    toxiproxy: str
    proxy: str


@dataclass(frozen=True)
class ContainerStep:
    container: str
    action: str  # kill | stop | restart | pause
    undo: str | None  # start | unpause | None


@dataclass(frozen=True)
class FaultPlan:
    name: str
    target: str
    toxics: tuple[ToxicStep, ...] = ()
    proxies_down: tuple[ProxyStep, ...] = ()
    containers: tuple[ContainerStep, ...] = ()
    http_errors: HttpErrorFault | None = None

    def describe(self) -> str:
        parts = []
        for step in self.toxics:
            attrs = ", ".join(f"{k}={v}" for k, v in step.attributes)
            share = "" if step.toxicity >= 1 else f" on {step.toxicity:.0%} of connections"
            parts.append(f"{step.type}({attrs}) {step.stream} on {step.proxy}{share}")
        parts.extend(f"proxy {step.proxy} down" for step in self.proxies_down)
        parts.extend(f"{step.action} {step.container}" for step in self.containers)
        if self.http_errors:
            rates = ", ".join(f"{status} at {rate:.0%}" for status, rate in self.http_errors.rates)
            parts.append(f"http errors {rates}")
        return "; ".join(parts) or "nothing"


def toxic_name(fault: str, toxic_type: str, stream: str) -> str:
    return f"envsim.{fault}.{toxic_type}.{stream}"


def plan_fault(stack: StackPlan, mode: FailureMode) -> FaultPlan:
    proxies = stack.proxies_of(mode.target)
    toxics = tuple(
        ToxicStep(
            toxiproxy=stack.toxiproxy_of(proxy.name).name,
            proxy=proxy.name,
            toxic=toxic_name(mode.name, toxic.type, toxic.stream),
            type=toxic.type,
            stream=toxic.stream,
            toxicity=toxic.toxicity,
            attributes=toxic.attributes,
        )
        for proxy in proxies
        for toxic in mode.toxics
    )
    down = tuple(ProxyStep(stack.toxiproxy_of(p.name).name, p.name) for p in proxies) if mode.down else ()
    containers = ()
    if mode.container:
        containers = tuple(
            ContainerStep(c.name, mode.container, CONTAINER_UNDO[mode.container])
            for c in stack.containers_of(mode.target)
        )
    return FaultPlan(
        name=mode.name,
        target=mode.target,
        toxics=toxics,
        proxies_down=down,
        containers=containers,
        http_errors=mode.http_errors,
    )


def plan_faults(stack: StackPlan, profile: Profile) -> tuple[FaultPlan, ...]:
    return tuple(plan_fault(stack, mode) for mode in profile.failure_modes)
