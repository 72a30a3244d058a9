"""What a scenario run needs from the engine a stack runs on, behind one interface.

A run talks to the stack's addresses on 127.0.0.1 (load, Toxiproxy, stubs) the same way on
every engine; what differs is reaching inside it: a command in a service's container (sql,
redis and exec checks, statement statistics), container faults, what the engine saw of the
containers (events, images, logs), and noticing the engine or the stack going away. The
Docker side (docker_run_engine.py) is the code runs always used; the Kubernetes side
(kubernetes/run_engine.py) does the same through the cluster's API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from envsim.engine.container_facts import ContainerFacts
from envsim.plan.stack import StackPlan

ExecResult = tuple[int | None, str, str]  # exit code (None: unknown), stdout, stderr


class RunWatch(Protocol):
    """Watches the engine and the stack during the load; `check` raises once either went away."""

    def start(self) -> RunWatch: ...

    def stop(self) -> None: ...

    def check(self, during: str) -> None: ...


class RunEngine(Protocol):
    # how the load reaches the stack, for the journal ("host", "host via port-forward")
    load_path: str
    # the Docker engine, for what only it can do (network helpers, workers in containers); None elsewhere
    docker: Any

    def exec(self, service: str, command: Sequence[str]) -> ExecResult:
        """`command` in the first container (pod) of `service`."""
        ...

    def sql(self, service: str, sql: str, *, tuples_only: bool = False, database: str = "") -> str:
        """SQL run by psql inside `service`'s container; stdout; RuntimeError on an error."""
        ...

    def container_action(self, container: str, action: str) -> None:
        """kill | stop | start | restart | pause | unpause on one planned container."""
        ...

    def container_status(self, container: str) -> str | None:
        """`running`, `paused`, `exited`...; None when the engine has no such container."""
        ...

    def update_credential(self, credential: str, value: str) -> None:
        """The engine's own copy of a rotated credential (a cluster's Secret); what starts later has it."""
        ...

    def rewrite_secret_files(
        self, container: str, files: tuple[tuple[str, str], ...], secrets: Mapping[str, str]
    ) -> None:
        """Each (credential, path) of `files` holds the credential's current value in the running container."""
        ...

    def facts(self, plan: StackPlan, redact: Iterable[str], load_start: float, with_logs: bool) -> ContainerFacts:
        """Events, images and log excerpts of the stack's containers (see container_facts)."""
        ...

    def watch(self) -> RunWatch: ...

    def pinned(self, cores: tuple[int, ...]) -> AbstractContextManager[tuple[str, ...]]:
        """The stack on the cores the load generator leaves it, for the block."""
        ...
