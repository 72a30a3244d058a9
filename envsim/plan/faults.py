"""Fault plans: what applying and clearing a failure mode does, resolved against a StackPlan.

Each effect of a failure mode is planned by its kind (envsim.config.fault_kinds) into steps;
this module lends the kinds a view of the stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envsim.config.fault_kinds import by_kind, kind_of_effect, kind_of_step
from envsim.config.fault_kinds.container import ContainerStep
from envsim.config.fault_kinds.down import ProxyStep
from envsim.config.fault_kinds.http import HttpErrorFault, HttpFaultStep
from envsim.config.fault_kinds.partition import PartitionStep
from envsim.config.fault_kinds.toxic import ToxicStep
from envsim.config.fault_model import FailureMode
from envsim.config.profile_model import Profile
from envsim.plan.mockserver_expectations import Expectation
from envsim.plan.stack import StackPlan
from envsim.plan.stubs import fault_twins

# The image of the containers that switch network faults inside a service's network namespace
# (iptables, iproute2 and dnsmasq from Debian; built from envsim's recipe, no registry has it)
NET_HELPER_IMAGE = "envsim/nethelper:bookworm"
NET_HELPER_ROLE = "net-helper"


@dataclass(frozen=True)
class FaultPlan:
    name: str
    target: str
    steps: tuple[Any, ...] = ()  # each an instance of its fault kind's step dataclass

    def describe(self) -> str:
        return "; ".join(kind_of_step(step).describe(step) for step in self.steps) or "nothing"


@dataclass(frozen=True)
class PlannedStack:
    """The StackView the fault kinds plan against."""

    stack: StackPlan
    links: tuple[tuple[str, str], ...] = ()  # (client, target): the failure mode acts on these alone

    def proxies(self, target: str) -> tuple[tuple[str, str], ...]:
        if self.links:
            return tuple(
                proxy
                for client, linked in self.links
                if linked == target
                for proxy in self.link_proxies(client, target)
            )
        return tuple((self.stack.toxiproxy_of(p.name).name, p.name) for p in self.stack.proxies_of(target))

    def link_proxies(self, client: str, target: str) -> tuple[tuple[str, str], ...]:
        return tuple(
            (self.stack.toxiproxy_of(p.name).name, p.name) for p in self.stack.proxies_of(target) if p.client == client
        )

    def containers(self, target: str) -> tuple[str, ...]:
        return tuple(c.name for c in self.stack.containers_of(target))

    def stub_chaos(
        self, fault: str, target: str, http: HttpErrorFault
    ) -> tuple[tuple[Expectation, ...], tuple[str, ...]]:
        containers = self.stack.containers_of(target)
        if not containers or containers[0].stub is None:
            return (), ()
        return fault_twins(fault, target, containers[0].stub, http), tuple(c.name for c in containers)

    def http_fronts(self, target: str) -> tuple[str, ...]:
        return tuple(b.name for b in self.stack.balancers if b.service == target and b.faults)


def plan_fault(stack: StackPlan, mode: FailureMode) -> FaultPlan:
    view = PlannedStack(stack, mode.links)
    steps = tuple(
        step
        for kind, effects in by_kind(mode.effects, kind_of_effect)
        for step in kind.plan(mode.name, mode.target, effects, view)
    )
    return FaultPlan(name=mode.name, target=mode.target, steps=steps)


def plan_faults(stack: StackPlan, profile: Profile) -> tuple[FaultPlan, ...]:
    return tuple(plan_fault(stack, mode) for mode in profile.failure_modes)


def needs_net_helper(profile: Profile) -> bool:
    """Whether a failure mode of the profile is switched by network helpers."""
    return any(
        kind_of_effect(effect).name in ("link", "dns") for mode in profile.failure_modes for effect in mode.effects
    )


__all__ = [
    "ContainerStep",
    "FaultPlan",
    "PartitionStep",
    "PlannedStack",
    "ProxyStep",
    "HttpFaultStep",
    "ToxicStep",
    "plan_fault",
    "plan_faults",
]
