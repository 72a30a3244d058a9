"""Applying and clearing planned faults on a running stack: Toxiproxy toxics, proxies down,
container actions, and HTTP faults on stubs. Implements the run layer's FaultSwitch protocol
(apply(name)/clear(name)).

Clearing is idempotent and tolerant: removing a toxic that is not there is fine, so every
exit path may clear everything without knowing what was applied.

HTTP faults are MockServer chaos twins of the stub's routes with a time-to-live: the fault's
expected duration (its timeline window) plus a margin, else AD_HOC_HTTP_FAULT_TTL. A killed
envsim therefore leaves no chaos behind for longer than that; applying again re-arms it.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Mapping

from envsim.engine.mockserver_client import MockServerClient, MockServerError
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


class StackFaults:
    def __init__(
        self,
        client: "docker.DockerClient",
        faults: Mapping[str, FaultPlan],
        toxiproxy_urls: Mapping[str, str],
        timeout: float = 5.0,
        *,
        stub_urls: Mapping[str, str] | None = None,
        windows: Mapping[str, float] | None = None,
    ):
        self._docker = client
        self._faults = dict(faults)
        self._toxiproxies = {name: ToxiproxyClient(url, timeout=timeout) for name, url in toxiproxy_urls.items()}
        # stub container name -> its MockServer admin API
        self._stubs = {name: MockServerClient(url, timeout=timeout) for name, url in (stub_urls or {}).items()}
        self._windows = dict(windows or {})  # fault name -> expected duration (seconds)
        self._lock = threading.Lock()

    def plan(self, name: str) -> FaultPlan:
        if name not in self._faults:
            known = ", ".join(sorted(self._faults)) or "none"
            raise InputError(f"no failure mode named {name!r} (the profile has: {known})")
        return self._faults[name]

    def apply(self, name: str, duration: float | None = None) -> None:
        """Apply fault `name`; `duration` (else its planned window) bounds an HTTP fault's life."""
        fault = self.plan(name)
        if fault.http_errors is not None and not fault.stub_twins:
            raise EnvironmentProblem(f"fault {name}: HTTP faults apply to stub services with routes only")
        with self._lock:
            if fault.stub_twins:
                self._apply_twins(fault, http_fault_ttl(duration if duration is not None else self._windows.get(name)))
            for step in fault.toxics:
                client = self._toxiproxies[step.toxiproxy]
                toxic = Toxic(
                    name=step.toxic,
                    type=step.type,
                    stream=step.stream,
                    toxicity=step.toxicity,
                    attributes=dict(step.attributes),
                )
                try:
                    client.add_toxic(step.proxy, toxic)
                except ToxiproxyError as error:
                    if error.status != 409:  # already there: applying twice converges
                        raise EnvironmentProblem(f"fault {name}: toxiproxy refused the toxic: {error}") from None
            for proxy_step in fault.proxies_down:
                self._toxiproxies[proxy_step.toxiproxy].disable_proxy(proxy_step.proxy)
            for container_step in fault.containers:
                self._container_action(container_step.container, container_step.action)

    def _apply_twins(self, fault: FaultPlan, ttl: float) -> None:
        twins = [dataclasses.replace(t, ttl_ms=max(1, round(ttl * 1000))) for t in fault.stub_twins]
        for container in fault.stub_containers:
            try:
                self._stub(fault.name, container).upsert(*twins)
            except MockServerError as error:
                raise EnvironmentProblem(f"fault {fault.name}: the stub refused its chaos: {error}") from None

    def _stub(self, fault: str, container: str) -> MockServerClient:
        if container not in self._stubs:
            raise EnvironmentProblem(f"fault {fault}: stub container {container} is not running")
        return self._stubs[container]

    def clear(self, name: str) -> None:
        fault = self.plan(name)
        with self._lock:
            for container in fault.stub_containers if fault.stub_twins else ():
                for twin in fault.stub_twins:
                    try:
                        self._stub(name, container).clear(expectation_id=twin.id, what="EXPECTATIONS")
                    except MockServerError as error:
                        if error.status == 400 and "No expectation found" in error.body:
                            continue  # not applied, or expired by its time-to-live: cleared already
                        raise EnvironmentProblem(f"fault {name}: could not remove its chaos: {error}") from None
            for step in fault.toxics:
                try:
                    self._toxiproxies[step.toxiproxy].remove_toxic(step.proxy, step.toxic)
                except ToxiproxyError as error:
                    if error.status != 404:
                        raise EnvironmentProblem(f"fault {name}: could not remove a toxic: {error}") from None
            for proxy_step in fault.proxies_down:
                self._toxiproxies[proxy_step.toxiproxy].enable_proxy(proxy_step.proxy)
            for container_step in fault.containers:
                if container_step.undo:
                    self._container_action(container_step.container, container_step.undo)

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
        """Faults whose effect is present now: toxics, disabled proxies, containers held
        paused or stopped (a restart leaves nothing to see, so it never shows as active)."""
        present: set[str] = set()
        for client in self._toxiproxies.values():
            for proxy in client.proxies().values():
                for toxic in proxy.toxics:
                    present.add(toxic.name)
                if not proxy.enabled:
                    present.add(f"down:{proxy.name}")
        for stub in self._stubs.values():
            present.update(e.id for e in stub.active_expectations())
        names = []
        for name, fault in self._faults.items():
            if (
                any(step.toxic in present for step in fault.toxics)
                or any(f"down:{step.proxy}" in present for step in fault.proxies_down)
                or any(self._container_held(step.container, step.action) for step in fault.containers)
                or any(twin.id in present for twin in fault.stub_twins)
            ):
                names.append(name)
        return names

    def _container_held(self, container_name: str, action: str) -> bool:
        from docker.errors import NotFound

        try:
            status = self._docker.containers.get(container_name).status
        except NotFound:
            return False
        return (action == "pause" and status == "paused") or (action in ("kill", "stop") and status == "exited")

    def _container_action(self, container_name: str, action: str) -> None:
        from docker.errors import APIError, NotFound

        try:
            container = self._docker.containers.get(container_name)
            container.reload()
            if action == "start" and container.status == "running":
                return
            if action == "unpause" and container.status != "paused":
                return
            if action in ("kill", "stop", "pause") and container.status != "running":
                return
            getattr(container, action)()
        except (APIError, NotFound) as error:
            raise EnvironmentProblem(f"could not {action} {container_name}: {error}") from None
