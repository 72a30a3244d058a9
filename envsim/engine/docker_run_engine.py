"""The Docker engine as a run's RunEngine: docker exec, container actions, the engine's events."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from envsim.engine.container_facts import ContainerFacts, container_facts
from envsim.engine.containers import rewrite_secret_files
from envsim.engine.cpu_pinning import stack_pinned
from envsim.engine.engine_watch import EngineWatch
from envsim.engine.run_engine import ExecResult
from envsim.engine.seeding import run_sql
from envsim.engine.stack_watch import StackWatch
from envsim.errors import EnvironmentProblem
from envsim.plan.stack import StackPlan

if TYPE_CHECKING:
    import docker


def docker_container_status(client: docker.DockerClient, container_name: str) -> str | None:
    from docker.errors import NotFound

    try:
        return client.containers.get(container_name).status
    except NotFound:
        return None


def docker_container_action(client: docker.DockerClient, container_name: str, action: str) -> None:
    """The action, unless the container is already where it would bring it."""
    from docker.errors import APIError, NotFound

    try:
        container = client.containers.get(container_name)
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


class DockerRunWatch:
    """The engine pinged, and the stack's containers' `destroy` events followed."""

    def __init__(self, stack: str):
        self._engine, self._removals = EngineWatch(), StackWatch(stack)

    def start(self) -> DockerRunWatch:
        self._engine.start()
        self._removals.start()
        return self

    def stop(self) -> None:
        self._engine.stop()
        self._removals.stop()

    def check(self, during: str) -> None:
        self._engine.check()
        self._removals.check(during)


class DockerRunEngine:
    load_path = "host"  # Locust on this machine, to the ports Docker publishes on 127.0.0.1

    def __init__(self, client: docker.DockerClient, plan: StackPlan):
        self.docker = client
        self._plan = plan

    def _container(self, service: str):
        return self.docker.containers.get(self._plan.containers_of(service)[0].name)

    def exec(self, service: str, command: Sequence[str]) -> ExecResult:
        code, output = self._container(service).exec_run(list(command), demux=True)
        stdout = (output[0] or b"").decode("utf-8", "replace") if output else ""
        stderr = (output[1] or b"").decode("utf-8", "replace") if output else ""
        return code, stdout, stderr

    def sql(self, service: str, sql: str, *, tuples_only: bool = False, database: str = "") -> str:
        return run_sql(self._container(service), sql, tuples_only=tuples_only, database=database)

    def container_action(self, container: str, action: str) -> None:
        docker_container_action(self.docker, container, action)

    def container_status(self, container: str) -> str | None:
        return docker_container_status(self.docker, container)

    def update_credential(self, credential: str, value: str) -> None:
        """Nothing: a container keeps the environment it was created with, also through a restart."""

    def rewrite_secret_files(
        self, container: str, files: tuple[tuple[str, str], ...], secrets: Mapping[str, str]
    ) -> None:
        rewrite_secret_files(self.docker, container, files, secrets)

    def facts(self, plan: StackPlan, redact: Iterable[str], load_start: float, with_logs: bool) -> ContainerFacts:
        return container_facts(self.docker, plan, redact, load_start, with_logs)

    def watch(self) -> DockerRunWatch:
        return DockerRunWatch(self._plan.stack)

    @contextlib.contextmanager
    def pinned(self, cores: tuple[int, ...]) -> Iterator[tuple[str, ...]]:
        with stack_pinned(self.docker, self._plan.stack, cores) as names:
            yield names
