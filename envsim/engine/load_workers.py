"""Locust workers as containers on a stack's network (`--workers-on docker`).

The master runs on this machine, bound to the stack network's gateway: the address of this
machine that the network's containers reach. Each worker container joins it from there and
reaches the target by its service name on the network, as the stack's own services do.
A worker carries the stack's labels and the role `load-worker`, so `down` and the reaper
remove it with the stack, and the stack watch does not take its removal (or its loss, which
the master names) for a part of the stack going away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envsim.engine.containers import remove_own_container
from envsim.errors import EnvironmentProblem
from envsim.plan.stack import LOAD_WORKER_ROLE, ROLE_LABEL, SERVICE_LABEL, StackPlan

if TYPE_CHECKING:
    import docker

STOP_TIMEOUT = 3  # seconds a worker gets to leave the run on SIGTERM before it is killed


def worker_container_name(plan: StackPlan, index: int) -> str:
    return f"envsim-{plan.stack}-load-worker-{index}"


class WorkerContainers:
    """Starts, finds and removes one run's worker containers."""

    def __init__(self, client: docker.DockerClient, plan: StackPlan, image: str):
        self.client, self.plan, self.image = client, plan, image
        self.names: list[str] = []

    def master_bind(self) -> str:
        """The stack network's gateway: where the master listens for its workers."""
        from docker.errors import NotFound

        try:
            network = self.client.networks.get(self.plan.network)
        except NotFound:
            raise EnvironmentProblem(f"stack {self.plan.stack}: its network {self.plan.network} is missing") from None
        for config in (network.attrs.get("IPAM") or {}).get("Config") or []:
            gateway = str(config.get("Gateway") or "")
            if gateway and ":" not in gateway:  # IPv4: what the workers' default route leads to
                return gateway
        raise EnvironmentProblem(f"stack {self.plan.stack}: its network {self.plan.network} has no IPv4 gateway")

    def start(self, host: str, port: int, count: int) -> list[tuple[str, int]]:
        """Start `count` workers joining host:port; each as (its name in the run, its pid here)."""
        from docker.errors import APIError, ImageNotFound

        started = []
        for index in range(1, count + 1):
            name = f"worker-{index}"
            container_name = worker_container_name(self.plan, index)
            self._remove(container_name)  # one a killed envsim left behind
            labels = {**dict(self.plan.labels), ROLE_LABEL: LOAD_WORKER_ROLE, SERVICE_LABEL: f"{name} (load)"}
            try:
                container = self.client.containers.run(
                    self.image,
                    ["--master-host", host, "--master-port", str(port), "--name", name],
                    name=container_name,
                    network=self.plan.network,
                    labels=labels,
                    stop_signal="SIGTERM",
                    detach=True,
                )
            except ImageNotFound:
                raise EnvironmentProblem(
                    f"the Locust worker image {self.image} is missing", hint="run again: envsim builds it first"
                ) from None
            except APIError as error:
                raise EnvironmentProblem(f"could not start the Locust worker {container_name}: {error}") from None
            self.names.append(container_name)
            container.reload()
            started.append((name, int((container.attrs.get("State") or {}).get("Pid") or 0)))
        return started

    def stop(self) -> None:
        """Stop and remove every worker this run started; ones already gone are no error."""
        for name in self.names:
            self._remove(name)
        self.names = []

    def log_tail(self, lines: int = 20) -> str:
        from docker.errors import APIError, NotFound

        tails = []
        for name in self.names:
            try:
                text = self.client.containers.get(name).logs(tail=lines).decode("utf-8", "replace").strip()
            except (APIError, NotFound):
                continue
            if text:
                tails.append(f"{name}:\n{text}")
        return "\n".join(tails)

    def _remove(self, name: str) -> None:
        remove_own_container(self.client, name, LOAD_WORKER_ROLE, "Locust worker", stop_timeout=STOP_TIMEOUT)
