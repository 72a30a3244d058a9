"""Fault plans: what applying and clearing a failure mode does, resolved against a StackPlan.

Toxics are only ever created from these plans. Names are derived from the failure mode, so
clearing a fault removes exactly what applying it added, even from another process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from envsim.config.fault_model import FailureMode, HttpErrorFault
from envsim.config.profile_model import Profile
from envsim.plan.mockserver_expectations import Expectation
from envsim.plan.stack import StackPlan
from envsim.plan.stubs import fault_twins

# What undoes each container action when the fault is cleared.
CONTAINER_UNDO = {"kill": "start", "stop": "start", "pause": "unpause", "restart": None}


@dataclass(frozen=True)
class ToxicStep:
    toxiproxy: str  # Toxiproxy container name
    proxy: str
    toxic: str  # toxic name
    type: str
    stream: Literal["upstream", "downstream"]
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
    # HTTP faults: chaos twins of the stub's routes, loaded into each of these containers
    stub_twins: tuple[Expectation, ...] = ()
    stub_containers: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        for step in self.toxics:
            attrs = ", ".join(f"{k}={v}" for k, v in step.attributes)
            share = "" if step.toxicity >= 1 else f" on {step.toxicity:.0%} of connections"
            parts.append(f"{step.type}({attrs}) {step.stream} on {step.proxy}{share}")
        parts.extend(f"proxy {step.proxy} down" for step in self.proxies_down)
        parts.extend(f"{step.action} {step.container}" for step in self.containers)
        if self.http_errors:
            parts.append(describe_http_fault(self.http_errors))
        return "; ".join(parts) or "nothing"


def describe_http_fault(fault: HttpErrorFault) -> str:
    parts = []
    if fault.rates:
        parts.append("http errors " + ", ".join(f"{status} at {rate:.0%}" for status, rate in fault.rates))
    if fault.outage:
        parts.append("http outage (every request 503)")
    if fault.retry_after:
        parts.append(f"Retry-After {fault.retry_after:g}s")
    if fault.drop:
        parts.append(f"{fault.drop:.0%} of connections dropped")
    if fault.slow_body:
        parts.append(f"body in {fault.slow_body[0]}-byte chunks {fault.slow_body[1] * 1000:g}ms apart")
    return ", ".join(parts)


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
    twins, stub_containers = _stub_twins(stack, mode)
    containers: tuple[ContainerStep, ...] = ()
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
        stub_twins=twins,
        stub_containers=stub_containers,
    )


def plan_faults(stack: StackPlan, profile: Profile) -> tuple[FaultPlan, ...]:
    return tuple(plan_fault(stack, mode) for mode in profile.failure_modes)


def _stub_twins(stack: StackPlan, mode: FailureMode) -> tuple[tuple[Expectation, ...], tuple[str, ...]]:
    containers = stack.containers_of(mode.target)
    if mode.http_errors is None or not containers or containers[0].stub is None:
        return (), ()
    twins = fault_twins(mode.name, mode.target, containers[0].stub, mode.http_errors)
    return twins, tuple(c.name for c in containers)
