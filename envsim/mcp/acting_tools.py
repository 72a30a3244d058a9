"""The MCP tools that act on stacks: up, status, fault_apply, fault_clear, run_scenario, down.

Each runs envsim.mcp.acting (imported on first call, with the engine behind envsim.api) in a
worker thread; its annotations tell the agent which tools start or remove containers.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations

from envsim.mcp.tool_calls import Guard, in_thread
from envsim.mcp.workspace import Workspace

STARTS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
ACTS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
REMOVES = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)
OBSERVES = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
ACTING_TOOLS = ["up", "status", "fault_apply", "fault_clear", "run_scenario", "down"]


class LazyRegistry:
    """The stacks this server started; envsim.mcp.registry (and the api) is imported on first use."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._registry: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._registry is None:
                from envsim.mcp.registry import Registry

                self._registry = Registry(self.workspace)
            return self._registry

    def peek(self) -> Any:
        return self._registry


Work = Callable[[Any, threading.Event, Callable[..., None]], Any]  # (registry, cancel, emit) -> answer
Call = Callable[["Context | None", Work], Awaitable[Any]]


def add_acting_tools(server: MCPServer, workspace: Workspace, guard: Guard, registry: LazyRegistry) -> None:
    async def call(ctx: Context | None, work: Work) -> Any:
        return await guard.acting(lambda: in_thread(ctx, lambda cancel, emit: work(registry.get(), cancel, emit)))

    _add_stack_tools(server, workspace, call)
    _add_fault_and_run_tools(server, workspace, call)


def acting() -> Any:
    """envsim.mcp.acting, imported on the first acting call (it brings the engine side of the api)."""
    from envsim.mcp import acting as module

    return module


def _add_stack_tools(server: MCPServer, workspace: Workspace, call: Call) -> None:
    @server.tool(annotations=STARTS)
    async def up(profile: str, ctx: Context, name: str | None = None) -> dict[str, Any]:
        """STARTS CONTAINERS (Docker): bring up a profile's stack (name or repo-relative path), health-gated.

        Builds or pulls images as needed, starts every service behind Toxiproxy and seeds the
        databases; reports each start-up step as progress. Returns the stack name, its
        published endpoints (`service.port` -> http://127.0.0.1:PORT), services and failure
        modes. Cancelling removes what was started. A stack started here is removed by `down`
        or when this MCP server stops. `name` gives the stack another name than the profile's.
        """
        return await call(ctx, lambda reg, cancel, emit: acting().up(workspace, reg, profile, name, cancel, emit))

    @server.tool(annotations=OBSERVES)
    async def status(name: str | None = None) -> dict[str, Any]:
        """What a running stack looks like now (starts nothing): services with container state and
        health, published endpoints, Toxiproxy proxies with their toxics, active faults.

        `name` defaults to the stack this server started, else the only running stack of this repo.
        """
        return await call(None, lambda reg, cancel, emit: acting().status(workspace, reg, name))

    @server.tool(annotations=REMOVES)
    async def down(name: str) -> dict[str, Any]:
        """Remove a stack: every container, network and volume (idempotent). Returns what was removed."""
        return await call(None, lambda reg, cancel, emit: acting().down(workspace, reg, name))


def _add_fault_and_run_tools(server: MCPServer, workspace: Workspace, call: Call) -> None:
    @server.tool(annotations=ACTS)
    async def fault_apply(fault: str, name: str | None = None) -> dict[str, Any]:
        """Apply a failure mode of the profile (e.g. db-slow) to a running stack; starts nothing.

        It stays until fault_clear, `down`, or a scenario run (which clears faults first).
        Returns what the fault does and the faults now active.
        """
        return await call(None, lambda reg, cancel, emit: acting().fault_apply(workspace, reg, fault, name))

    @server.tool(annotations=ACTS)
    async def fault_clear(fault: str | None = None, name: str | None = None) -> dict[str, Any]:
        """Revert a failure mode on a running stack (every active one when `fault` is not given)."""
        return await call(None, lambda reg, cancel, emit: acting().fault_clear(workspace, reg, fault, name))

    @server.tool(annotations=STARTS)
    async def run_scenario(
        path: str, ctx: Context, users: int | None = None, duration: str | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """MAY START CONTAINERS (Docker): run a scenario (repo-relative path or name) and judge it.

        Uses the profile's stack when it runs (and leaves it running); otherwise starts it for
        the run and removes it afterwards. `users` and `duration` ("30s", "2m") shorten or
        change the load. Progress: start-up steps, then each second of load. Cancelling stops
        the load, reverts every fault and removes a stack started for the run. Returns the
        verdict, the failed checks (measured value, bound, phase, the top failure reasons of
        their window), the run's failure reasons per phase, the service log excerpts captured
        when requests failed, and the journal and report paths (relative to the repo).
        """
        return await call(
            ctx,
            lambda reg, cancel, emit: acting().run_scenario(workspace, reg, path, users, duration, name, cancel, emit),
        )
