"""Applying and clearing planned faults on a running stack: Toxiproxy toxics, proxies down,
container actions. Implements the run layer's FaultSwitch protocol (apply(name)/clear(name)).

Clearing is idempotent and tolerant: removing a toxic that is not there is fine, so every
exit path may clear everything without knowing what was applied.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Mapping

from envsim.engine.toxiproxy_client import Toxic, ToxiproxyClient, ToxiproxyError
from envsim.errors import EnvironmentProblem, InputError
from envsim.plan.faults import FaultPlan

if TYPE_CHECKING:
    import docker


class StackFaults:
    def __init__(
        self,
        client: "docker.DockerClient",
        faults: Mapping[str, FaultPlan],
        toxiproxy_urls: Mapping[str, str],
        timeout: float = 5.0,
    ):
        self._docker = client
        self._faults = dict(faults)
        self._toxiproxies = {name: ToxiproxyClient(url, timeout=timeout) for name, url in toxiproxy_urls.items()}
        self._lock = threading.Lock()

    def plan(self, name: str) -> FaultPlan:
        if name not in self._faults:
            known = ", ".join(sorted(self._faults)) or "none"
            raise InputError(f"no failure mode named {name!r} (the profile has: {known})")
        return self._faults[name]

    def apply(self, name: str) -> None:
        fault = self.plan(name)
        if fault.http_errors is not None:
            raise EnvironmentProblem(f"fault {name}: HTTP error faults need a stub service, not available yet")
        with self._lock:
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
            for step in fault.proxies_down:
                self._toxiproxies[step.toxiproxy].disable_proxy(step.proxy)
            for step in fault.containers:
                self._container_action(step.container, step.action)

    def clear(self, name: str) -> None:
        fault = self.plan(name)
        with self._lock:
            for step in fault.toxics:
                try:
                    self._toxiproxies[step.toxiproxy].remove_toxic(step.proxy, step.toxic)
                except ToxiproxyError as error:
                    if error.status != 404:
                        raise EnvironmentProblem(f"fault {name}: could not remove a toxic: {error}") from None
            for step in fault.proxies_down:
                self._toxiproxies[step.toxiproxy].enable_proxy(step.proxy)
            for step in fault.containers:
                if step.undo:
                    self._container_action(step.container, step.undo)

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
        names = []
        for name, fault in self._faults.items():
            if (
                any(step.toxic in present for step in fault.toxics)
                or any(f"down:{step.proxy}" in present for step in fault.proxies_down)
                or any(self._container_held(step.container, step.action) for step in fault.containers)
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
