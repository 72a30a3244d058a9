"""What a fault kind declares, and the capabilities its parts are handed.

A kind's parts run at different floors: it is written in a profile (config), planned on a
stack (plan) and switched on a running stack (engine). Its module sits at the lowest floor
so every floor can reach it; a part that needs a higher floor's power takes it as an
argument: a planner gets a `StackView` (which the plan implements: the proxies and
containers of a service, a stub's chaos twins), an applier gets `FaultTools` (which the
engine implements: Toxiproxy toxics and proxies, container actions, MockServer chaos), a
prober of activity gets `FaultReadings` (what is present on the stack now).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem

# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class FaultContext:
    """What a kind's cross-reference part sees of one written failure mode."""

    doc: YamlDoc
    here: TreePath  # ("failure_modes", name)
    mode: Mapping[str, Any]  # as written (schema problems already reported; read defensively)
    target: str | None
    service: Mapping[str, Any] | None  # the target's service as written; None when unknown
    has_ports: bool  # the target has a port to interpose on

    def problem(self, key: str | TreePath, message: str, *, key_only: bool = False) -> Problem:
        where = self.here + (key if isinstance(key, tuple) else (key,))
        return self.doc.problem(where, message, key=key_only)


def needs_ports(context: FaultContext) -> list[Problem]:
    """A network fault lives on a proxy, and a proxy needs a port to stand in front of."""
    if context.service is None or context.has_ports:
        return []
    return [
        context.problem(
            "target", f"'{context.target}' declares no ports, so there is no traffic to interpose on; add 'ports' to it"
        )
    ]


# --------------------------------------------------------------------------- planning


class StackView(Protocol):
    """What the plan lends a planner: the stack's parts a fault reaches."""

    def proxies(self, target: str) -> tuple[tuple[str, str], ...]:
        """(Toxiproxy container, proxy name) of every proxy in front of the service: the shared
        ones and every client's link, or only the named clients' links when the failure mode
        names `from:`."""

    def link_proxies(self, client: str, target: str) -> tuple[tuple[str, str], ...]:
        """(Toxiproxy container, proxy name) of the client's own link to the target; () when the
        target has no ports."""

    def containers(self, target: str) -> tuple[str, ...]:
        """The service's container names."""

    def stub_chaos(self, fault: str, target: str, http: Any) -> tuple[tuple[Any, ...], tuple[str, ...]]:
        """The chaos twins of a stub's routes and the stub containers to load them into;
        ((), ()) when the target is not a stub with routes."""

    def http_fronts(self, target: str) -> tuple[str, ...]:
        """The HAProxy containers in front of a real HTTP service that hold its HTTP faults."""


# --------------------------------------------------------------------------- switching


# What a network helper's script prints once its rules are in place, followed by the mechanism
NET_HELPER_READY = "envsim-ready:"


class FaultTools(Protocol):
    """What the engine lends an applier. Each call raises EnvironmentProblem naming the fault
    when the stack refuses; removing what is not there is no error."""

    def add_toxic(self, fault: str, toxiproxy: str, proxy: str, toxic: Mapping[str, Any]) -> None:
        """Toxiproxy's toxic fields: name, type, stream, toxicity, attributes."""

    def remove_toxic(self, fault: str, toxiproxy: str, proxy: str, toxic: str) -> None: ...

    def set_proxy_enabled(self, toxiproxy: str, proxy: str, enabled: bool) -> None: ...

    def container_action(self, container: str, action: str) -> None:
        """kill | stop | restart | pause | start | unpause; a no-op when already so."""

    def load_chaos(self, fault: str, container: str, twins: tuple[Any, ...]) -> None:
        """Loads chaos twins into a stub, with the fault's time-to-live."""

    def remove_chaos(self, fault: str, container: str, twin_id: str) -> None: ...

    def switch_http_fault(self, fault: str, front: str, switch: str, on: bool) -> None:
        """Turns a failure mode's rules in an HAProxy front on or off (its runtime API)."""

    def start_net_helper(self, fault: str, container: str, helper: str, script: str) -> str:
        """Starts container `helper` in `container`'s network namespace with NET_ADMIN, running
        the shell `script` (its time-to-live in $ENVSIM_TTL); returns once the script printed
        its ready line, with what followed the mark (the mechanism that ran)."""

    def stop_net_helper(self, fault: str, helper: str) -> None:
        """Stops the helper (its script reverts on SIGTERM) and removes it."""


class FaultReadings(Protocol):
    """What is present on the running stack now."""

    def toxic_present(self, toxic: str) -> bool: ...

    def proxy_disabled(self, proxy: str) -> bool: ...

    def chaos_present(self, twin_id: str) -> bool: ...

    def http_fault_on(self, front: str, switch: str) -> bool: ...

    def container_status(self, container: str) -> str | None:
        """Docker's status of the container; None when it does not exist."""


# --------------------------------------------------------------------------- the parts


@dataclass(frozen=True)
class FaultKind:
    """Every part of one kind of fault. A failure mode is made of effects; each effect and
    each planned step is an instance of its kind's `effect` and `step` dataclass."""

    name: str
    keys: tuple[str, ...]  # the failure-mode keys this kind owns in profile.schema.json
    triggers: tuple[str, ...]  # those that make a failure mode this kind (the schema's anyOf)
    effect: type  # the frozen dataclass `build` makes
    step: type  # the frozen dataclass `plan` makes
    build: Callable[[Mapping[str, Any]], tuple[Any, ...]]  # written failure mode (schema-valid) -> effects
    refs: Callable[[FaultContext], list[Problem]]  # what the schema cannot see
    summary: Callable[[tuple[Any, ...]], str]  # what kind of fault the effects are, in a few words
    plan: Callable[[str, str, tuple[Any, ...], StackView], tuple[Any, ...]]  # (fault, target, effects) -> steps
    describe: Callable[[Any], str]  # one step, as plan/status/fault list print it
    apply: Callable[[str, Any, FaultTools], str | None]  # (fault, step, tools) -> a note for the journal
    clear: Callable[[str, Any, FaultTools], None]  # undoes `apply`; idempotent
    active: Callable[[Any, FaultReadings], bool]  # whether the step's effect is present now
