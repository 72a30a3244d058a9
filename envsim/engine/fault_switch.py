"""Applying and clearing planned faults on a running stack: Toxiproxy toxics, proxies down,
container actions, HTTP faults on stubs and on the HAProxy fronts of real services. Implements the run layer's FaultSwitch protocol
(apply(name)/clear(name)), and the FaultTools and FaultReadings the fault kinds
(envsim.config.fault_kinds) apply, clear and read their steps with.

Clearing is idempotent and tolerant: removing a toxic that is not there is fine, so every
exit path may clear everything without knowing what was applied.

HTTP faults are MockServer chaos twins of the stub's routes with a time-to-live: the fault's
expected duration (its timeline window) plus a margin, else AD_HOC_HTTP_FAULT_TTL. A killed
envsim therefore leaves no chaos behind for longer than that; applying again re-arms it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from envsim.config.fault_kinds import kind_of_step
from envsim.config.fault_kinds.kind import NET_HELPER_READY
from envsim.engine.docker_run_engine import docker_container_action, docker_container_status
from envsim.engine.haproxy_runtime import HaproxyRuntime, RuntimeApiError
from envsim.engine.mockserver_client import MockServerClient, MockServerError
from envsim.engine.net_helpers import start_net_helper, stop_net_helper
from envsim.engine.toxiproxy_client import Toxic, ToxiproxyClient, ToxiproxyError
from envsim.errors import EnvironmentProblem, InputError
from envsim.plan.faults import FaultPlan

if TYPE_CHECKING:
    import docker


AD_HOC_HTTP_FAULT_TTL = 600.0  # seconds: an HTTP fault applied without a known window


def http_fault_ttl(window: float | None) -> float:
    """How long an HTTP fault's chaos lives: a little longer than its window (the switch
    clears it at the window's end; the time-to-live only matters when nobody does)."""
    if window is None or window <= 0:
        return AD_HOC_HTTP_FAULT_TTL
    return window + max(5.0, 0.1 * window)


_UNDOING = ("start", "unpause")  # the container actions that revert a container fault


class ContainerOperations(Protocol):
    """Container faults on an engine (the RunEngine's part): Docker's containers, or pods."""

    def container_action(self, container: str, action: str) -> None: ...

    def container_status(self, container: str) -> str | None: ...


class StackFaults:
    def __init__(
        self,
        client: docker.DockerClient | None,  # None: no Docker engine (a Kubernetes stack), no container faults
        faults: Mapping[str, FaultPlan],
        toxiproxy_urls: Mapping[str, str],
        timeout: float = 5.0,
        *,
        stub_urls: Mapping[str, str] | None = None,
        windows: Mapping[str, float] | None = None,
        front_apis: Mapping[str, str] | None = None,
        containers: ContainerOperations | None = None,  # default: the Docker engine's, through `client`
    ):
        self._docker = client
        self._containers = containers
        self._faults = dict(faults)
        self._toxiproxies = {name: ToxiproxyClient(url, timeout=timeout) for name, url in toxiproxy_urls.items()}
        # stub container name -> its MockServer admin API
        self._stubs = {name: MockServerClient(url, timeout=timeout) for name, url in (stub_urls or {}).items()}
        self._windows = dict(windows or {})  # fault name -> expected duration (seconds)
        # HAProxy front container name -> its runtime API
        self._fronts = {name: HaproxyRuntime(address, timeout) for name, address in (front_apis or {}).items()}
        self._lock = threading.Lock()

    def plan(self, name: str) -> FaultPlan:
        if name not in self._faults:
            known = ", ".join(sorted(self._faults)) or "none"
            raise InputError(f"no failure mode named {name!r} (the profile has: {known})")
        return self._faults[name]

    def apply(self, name: str, duration: float | None = None) -> str:
        """Apply fault `name`; `duration` (else its planned window) bounds the life of an HTTP
        fault's chaos and a network helper's rules. Returns the kinds' notes for the journal
        (which mechanism ran), each once."""
        fault = self.plan(name)
        tools = self._tools(http_fault_ttl(duration if duration is not None else self._windows.get(name)))
        notes: dict[str, None] = {}
        with self._lock:
            for step in fault.steps:
                note = kind_of_step(step).apply(name, step, tools)
                if note:
                    notes[note] = None
        return "; ".join(notes)

    def _tools(self, ttl: float) -> _Tools:
        return _Tools(self._toxiproxies, self._stub, self._container_action, ttl, self._fronts, self._docker)

    def _stub(self, fault: str, container: str) -> MockServerClient:
        if container not in self._stubs:
            raise EnvironmentProblem(f"fault {fault}: stub container {container} is not running")
        return self._stubs[container]

    def clear(self, name: str) -> None:
        fault = self.plan(name)
        tools = self._tools(AD_HOC_HTTP_FAULT_TTL)
        with self._lock:
            for step in fault.steps:
                kind_of_step(step).clear(name, step, tools)

    def clear_all(self) -> None:
        """Revert every planned fault; used on every exit path."""
        errors = []
        for name in self._faults:
            try:
                self.clear(name)
            except Exception as error:  # keep reverting the others; report all at the end
                errors.append(f"{name}: {error}")
        if errors:
            raise EnvironmentProblem("could not revert every fault: " + "; ".join(errors))

    def active(self) -> list[str]:
        """Faults whose effect is present now (each kind says what present means)."""
        readings = _Readings(self._toxiproxies.values(), self._stubs.values(), self._container_status, self._fronts)
        return [
            name
            for name, fault in self._faults.items()
            if any(kind_of_step(step).active(step, readings) for step in fault.steps)
        ]

    def _container_status(self, container_name: str) -> str | None:
        if self._containers is not None:
            return self._containers.container_status(container_name)
        return None if self._docker is None else docker_container_status(self._docker, container_name)

    def _container_action(self, container_name: str, action: str) -> None:
        if self._containers is not None:
            self._containers.container_action(container_name, action)
        elif self._docker is not None:
            docker_container_action(self._docker, container_name, action)
        elif action not in _UNDOING:  # without an engine no container fault was applied: nothing to undo
            raise EnvironmentProblem(
                "container faults (kill, stop, restart, pause) need the Docker engine or a Kubernetes cluster; "
                "this stack has neither"
            )


class _Tools:
    """The FaultTools the fault kinds apply and clear with: Toxiproxy, Docker and MockServer
    calls, their refusals turned into EnvironmentProblem naming the fault."""

    def __init__(
        self,
        toxiproxies: Mapping[str, ToxiproxyClient],
        stub: Callable[[str, str], MockServerClient],  # (fault, stub container) -> its admin API
        container_action: Callable[[str, str], None],
        ttl: float,  # seconds an HTTP fault's chaos and a network helper's rules live
        fronts: Mapping[str, HaproxyRuntime],
        client: docker.DockerClient | None,
    ):
        self._fronts = fronts
        self._toxiproxies = toxiproxies
        self._stub = stub
        self.container_action = container_action
        self._ttl = ttl
        self._docker = client

    def start_net_helper(self, fault: str, container: str, helper: str, script: str) -> str:
        return start_net_helper(self._engine(fault), fault, container, helper, script, self._ttl, NET_HELPER_READY)

    def stop_net_helper(self, fault: str, helper: str) -> None:
        if self._docker is None:
            return  # without an engine no helper was started: nothing to stop
        stop_net_helper(self._docker, fault, helper)

    def _engine(self, fault: str) -> docker.DockerClient:
        if self._docker is None:  # a Kubernetes stack: no container to share a namespace with
            raise EnvironmentProblem(f"fault {fault}: link and DNS faults need the Docker engine; this stack has none")
        return self._docker

    def add_toxic(self, fault: str, toxiproxy: str, proxy: str, toxic: Mapping[str, Any]) -> None:
        try:
            self._toxiproxies[toxiproxy].add_toxic(proxy, Toxic(**toxic))
        except ToxiproxyError as error:
            if error.status != 409:  # already there: applying twice converges
                raise EnvironmentProblem(f"fault {fault}: toxiproxy refused the toxic: {error}") from None

    def remove_toxic(self, fault: str, toxiproxy: str, proxy: str, toxic: str) -> None:
        try:
            self._toxiproxies[toxiproxy].remove_toxic(proxy, toxic)
        except ToxiproxyError as error:
            if error.status != 404:
                raise EnvironmentProblem(f"fault {fault}: could not remove a toxic: {error}") from None

    def set_proxy_enabled(self, toxiproxy: str, proxy: str, enabled: bool) -> None:
        client = self._toxiproxies[toxiproxy]
        client.enable_proxy(proxy) if enabled else client.disable_proxy(proxy)

    def load_chaos(self, fault: str, container: str, twins: tuple[Any, ...]) -> None:
        lived = [dataclasses.replace(t, ttl_ms=max(1, round(self._ttl * 1000))) for t in twins]
        try:
            self._stub(fault, container).upsert(*lived)
        except MockServerError as error:
            raise EnvironmentProblem(f"fault {fault}: the stub refused its chaos: {error}") from None

    def remove_chaos(self, fault: str, container: str, twin_id: str) -> None:
        try:
            self._stub(fault, container).clear(expectation_id=twin_id, what="EXPECTATIONS")
        except MockServerError as error:
            if error.status == 400 and "No expectation found" in error.body:
                return  # not applied, or expired by its time-to-live: cleared already
            raise EnvironmentProblem(f"fault {fault}: could not remove its chaos: {error}") from None

    def switch_http_fault(self, fault: str, front: str, switch: str, on: bool) -> None:
        if front not in self._fronts:
            raise EnvironmentProblem(f"fault {fault}: the HAProxy front {front} is not running")
        try:
            self._fronts[front].set_switch(switch, on)
        except RuntimeApiError as error:
            raise EnvironmentProblem(f"fault {fault}: {error}") from None


class _Readings:
    """The FaultReadings of the stack now: toxics, disabled proxies and stub chaos read once;
    container states asked as needed."""

    def __init__(
        self,
        toxiproxies: Iterable[ToxiproxyClient],
        stubs: Iterable[MockServerClient],
        container_status: Callable[[str], str | None],
        fronts: Mapping[str, HaproxyRuntime],
    ):
        self.container_status = container_status
        self._fronts = fronts
        self._switches: dict[str, dict[str, bool]] = {}  # front -> its switches, read when first asked
        self._toxics: set[str] = set()
        self._disabled: set[str] = set()
        for client in toxiproxies:
            for proxy in client.proxies().values():
                self._toxics.update(toxic.name for toxic in proxy.toxics)
                if not proxy.enabled:
                    self._disabled.add(proxy.name)
        self._chaos = {e.id for stub in stubs for e in stub.active_expectations()}

    def toxic_present(self, toxic: str) -> bool:
        return toxic in self._toxics

    def proxy_disabled(self, proxy: str) -> bool:
        return proxy in self._disabled

    def chaos_present(self, twin_id: str) -> bool:
        return twin_id in self._chaos

    def http_fault_on(self, front: str, switch: str) -> bool:
        if front not in self._fronts:
            return False
        if front not in self._switches:
            self._switches[front] = self._fronts[front].switches()
        return self._switches[front].get(switch, False)
