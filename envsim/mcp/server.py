"""The MCP server: resources and tools describing the app repo's environment, and tools acting on it.

Built on the official SDK's `MCPServer` (mcp 2.x). Everything is read from profiles/ and
scenarios/ under the repo root on each request, through envsim.api. The read-only tools and
resources start nothing; `up` and `run_scenario` start containers (their descriptions say
so). Long tools run in a worker thread and report MCP progress; a cancel (or a disconnect)
sets the api's `cancel` event, so faults are reverted and what they started is removed, and
the stacks this server started are removed when it stops. Nothing runs a shell. Every answer
passes a scrubber that replaces credential values (taken from the environment, or generated
for a stack this server touched) with `<secret:NAME>`.
"""

from __future__ import annotations

import collections
import contextlib
import json
import threading
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Mapping

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from envsim import __version__, api
from envsim.config.model import Profile, Scenario
from envsim.errors import EnvsimError, InputError
from envsim.mcp import context
from envsim.mcp.workspace import Workspace
from envsim.plan.render import profile_plan_to_dict, scenario_to_dict

INSTRUCTIONS = """\
envsim describes the environment this repo's code runs in, from its profiles (profiles/*.yaml)
and scenarios (scenarios/*.yaml). Before writing code that talks to a service, a database or a
third-party API, read the profile's resources or call describe_environment: services and
addresses, every environment variable a service receives (secrets appear only as
<secret: NAME>, with their rotation), tables with row counts at production scale and their
indexes, the third-party APIs' auth, versions and latency, and the failure modes the code must
survive. validate, plan and describe_environment are read-only. up and run_scenario start
containers (Docker); status, fault_apply, fault_clear and down act on a running stack. Stacks
started here are removed when this server stops, unless removed earlier with down.
When a profile's stack is up, its data resource also lists the live database's tables,
indexes and row counts."""

ASPECTS: dict[str, tuple[str, str]] = {
    "services": ("Services", "names, images or builds, ports, published ports, dependencies, replicas, health checks"),
    "configuration": ("Configuration contract", "every environment variable each service receives; secrets as "
                      "<secret: NAME> with generation rule, rotation ttl and mount path"),
    "data": ("Data", "tables, columns, types and indexes from the seed SQL, row counts at the profile's scale"),
    "apis": ("Third-party APIs", "each stub: routes or OpenAPI file, auth scheme, current/deprecated versions, "
             "rate limits, latency"),
    "failure-modes": ("Failure modes", "each failure mode and what it does to the stack"),
}

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
STARTS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
ACTS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
REMOVES = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)
OBSERVES = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
ACTING_TOOLS = ["up", "status", "fault_apply", "fault_clear", "run_scenario", "down"]
POLL = 0.1  # seconds between progress flushes while a worker thread runs


def describe_aspect(workspace: Workspace, profile: Profile, aspect: str, registry: Any = None) -> dict[str, Any]:
    if aspect == "services":
        return context.describe_services(profile)
    if aspect == "configuration":
        return context.describe_configuration(profile)
    if aspect == "data":
        data = api.seeded_data(profile)
        if data["databases"]:
            from envsim.mcp import acting  # engine-side imports only when there is a database to ask

            acting.add_live_data(workspace, registry, profile, data)
        return data
    if aspect == "apis":
        return context.describe_apis(profile)
    if aspect == "failure-modes":
        resolved = api.plan(profile)
        return context.describe_failure_modes(profile, resolved.faults)
    raise InputError(f"aspect: {aspect!r} is not one of {', '.join(ASPECTS)}")


def describe_scenarios(workspace: Workspace, profile: Profile | None = None) -> dict[str, Any]:
    """Every scenario (of `profile` when given), with its load, fault timeline and checks."""
    scenarios, problems = [], []
    for path in workspace.scenario_paths():
        try:
            scenario = workspace.scenario(path)
        except InputError as error:
            problems.append(workspace.error_text(error))
            continue
        if profile is not None and scenario.profile.source != profile.source:
            continue
        scenarios.append(context.describe_scenario(api.plan(scenario), path, scenario.profile_ref))
    return {"scenarios": scenarios, "problems": problems}


def environment_description(workspace: Workspace, profile_name: str, registry: Any = None) -> dict[str, Any]:
    profile = workspace.profile(profile_name)
    return {
        "profile": profile.name,
        "file": str(profile.source.relative_to(workspace.root)),
        **{aspect.replace("-", "_"): _strip_profile(describe_aspect(workspace, profile, aspect, registry)) for aspect in ASPECTS},
        "scenarios": describe_scenarios(workspace, profile)["scenarios"],
    }


def _strip_profile(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "profile"}


def index(workspace: Workspace) -> dict[str, Any]:
    profiles = workspace.profile_names()
    return {
        "root": str(workspace.root),
        "profiles": profiles,
        "scenarios": workspace.scenario_paths(),
        "resources": {
            name: {aspect: f"envsim://profiles/{name}/{aspect}" for aspect in ASPECTS} for name in profiles
        },
        "tools": ["validate", "plan", "describe_environment", *ACTING_TOOLS],
    }


class _Guard:
    """Runs a handler: envsim errors become tool errors with the CLI's text; every answer is scrubbed."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    def __call__(self, handler: Callable[[], Any]) -> Any:
        try:
            result = handler()
        except EnvsimError as error:
            raise self.tool_error(error) from None
        return self.workspace.scrubber().data(result)

    async def acting(self, handler: Callable[[], Awaitable[Any]]) -> Any:
        try:
            result = await handler()
        except EnvsimError as error:
            raise self.tool_error(error) from None
        except ToolError:
            raise
        except Exception as error:  # noqa: BLE001 - the agent gets the reason, scrubbed
            text = f"{type(error).__name__}: {error}"
            raise ToolError(self.workspace.scrubber().text(text[:1000])) from None
        return self.workspace.scrubber().data(result)

    def tool_error(self, error: EnvsimError) -> ToolError:
        text = self.workspace.error_text(error) if isinstance(error, InputError) else str(error)
        hint = getattr(error, "hint", None)
        if hint:
            text += f" (hint: {hint})"
        return ToolError(self.workspace.scrubber().text(text))


async def in_thread(ctx: Context | None, work: Callable[[threading.Event, Callable[..., None]], Any]) -> Any:
    """Run `work(cancel, emit)` in a worker thread; its `emit(progress, total, message)` calls
    become MCP progress notifications (when the caller asked for progress).

    When the request is cancelled (the agent's notifications/cancelled, or the connection
    closing) `cancel` is set and the worker is waited for, shielded, until it has reverted
    faults and removed what it started; then the cancellation goes on.
    """
    import anyio

    cancel = threading.Event()
    events: collections.deque = collections.deque()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = work(cancel, lambda *event: events.append(event))
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
            outcome["error"] = error

    async def flush() -> None:
        while events:
            progress, total, message = events.popleft()
            if ctx is None:
                continue
            try:
                await ctx.report_progress(progress, total, message)
            except Exception:  # noqa: BLE001 - a gone client must not stop the work
                pass

    worker = threading.Thread(target=target, name="envsim-mcp-tool", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            await flush()
            await anyio.sleep(POLL)
    except anyio.get_cancelled_exc_class():
        cancel.set()
        with anyio.CancelScope(shield=True):
            while worker.is_alive():
                await anyio.sleep(POLL)
        raise
    await flush()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def build_server(root: Path | str | None = None, env: Mapping[str, str] | None = None) -> MCPServer:
    """The server for the app repo at `root` (default: the working directory).

    `env` is what `${env.VAR}` reads (default: this process's environment).
    """
    workspace = Workspace(Path(root) if root is not None else Path.cwd())
    if env is not None:
        workspace.env = dict(env)
    guard = _Guard(workspace)
    registry = _LazyRegistry(workspace)

    stopped = threading.Event()

    @contextlib.asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[dict[str, Any]]:
        try:
            yield {}
        finally:
            started = registry.peek()
            if started is not None:  # remove the stacks this server started, as SIGINT does for `envsim up`
                import anyio

                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(started.teardown_all)
                started.close()
            stopped.set()

    server = MCPServer("envsim", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING",
                       lifespan=lifespan)
    server.envsim_registry = registry  # type: ignore[attr-defined]  # for tests
    server.envsim_stopped = stopped  # type: ignore[attr-defined]  # set once torn down; for envsim.mcp.stdio

    def json_text(handler: Callable[[], Any]) -> str:
        try:
            return json.dumps(guard(handler), indent=2, sort_keys=True)
        except ToolError as error:
            return json.dumps({"error": str(error)}, indent=2)

    @server.resource("envsim://environment", name="environment", title="envsim environment index",
                     description="Profiles, scenarios and the resource URI of each aspect of each profile.",
                     mime_type="application/json")
    def environment_index() -> str:
        return json_text(lambda: index(workspace))

    @server.resource("envsim://scenarios", name="scenarios", title="Scenarios and their checks",
                     description="Every scenario: load, fault timeline and the checks its verdict applies.",
                     mime_type="application/json")
    def scenarios_resource() -> str:
        return json_text(lambda: describe_scenarios(workspace))

    for profile_name in workspace.profile_names():
        for aspect, (title, description) in ASPECTS.items():
            _add_aspect_resource(server, workspace, json_text, profile_name, aspect, title, description, registry)

    @server.tool(annotations=READ_ONLY)
    def validate(files: list[str] | None = None) -> dict[str, Any]:
        """Check profiles and scenarios (default: all of profiles/ and scenarios/): every problem at once.

        Problems are `file:line:col: path: message` strings; `exit_code` is what `envsim validate`
        would exit with (0 valid, 2 invalid). Paths are relative to the repo root and may not leave it.
        """
        return guard(lambda: workspace.validate(files))

    @server.tool(annotations=READ_ONLY)
    def plan(target: str, name: str | None = None) -> dict[str, Any]:
        """The fully resolved plan of a profile (name or path) or scenario (path), as `envsim plan --json`.

        Nothing is started. Secret values are never shown, only <secret:NAME>.
        """
        def run() -> dict[str, Any]:
            loaded = workspace.target(target)
            resolved = api.plan(loaded, name=name)
            if isinstance(loaded, Scenario):
                return {"kind": "scenario", "plan": scenario_to_dict(resolved)}
            return {"kind": "profile", "plan": profile_plan_to_dict(resolved.stack, resolved.faults)}

        return guard(run)

    @server.tool(annotations=READ_ONLY)
    def describe_environment(profile: str) -> dict[str, Any]:
        """Everything about a profile's environment in one answer (read-only; nothing starts).

        Services, configuration contract (secrets as <secret: NAME> with rotation and mounts),
        data (tables, columns, types, indexes, row counts at the profile's scale), third-party
        APIs (auth scheme, versions, rate limits, latency), failure modes, and the scenarios
        using the profile with their checks.
        """
        return guard(lambda: environment_description(workspace, profile, registry.peek()))

    _add_acting_tools(server, workspace, guard, registry)
    return server


class _LazyRegistry:
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


def _add_acting_tools(server: MCPServer, workspace: Workspace, guard: _Guard, registry: _LazyRegistry) -> None:
    def acting() -> Any:
        from envsim.mcp import acting as module

        return module

    async def call(ctx: Context | None, work: Callable[[Any, threading.Event, Callable[..., None]], Any]) -> Any:
        return await guard.acting(lambda: in_thread(ctx, lambda cancel, emit: work(registry.get(), cancel, emit)))

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
    async def run_scenario(path: str, ctx: Context, users: int | None = None, duration: str | None = None,
                           name: str | None = None) -> dict[str, Any]:
        """MAY START CONTAINERS (Docker): run a scenario (repo-relative path or name) and judge it.

        Uses the profile's stack when it runs (and leaves it running); otherwise starts it for
        the run and removes it afterwards. `users` and `duration` ("30s", "2m") shorten or
        change the load. Progress: start-up steps, then each second of load. Cancelling stops
        the load, reverts every fault and removes a stack started for the run. Returns the
        verdict, the failed checks (measured value, bound, phase, the top failure reasons of
        their window), the run's failure reasons per phase, the service log excerpts captured
        when requests failed, and the journal and report paths (relative to the repo).
        """
        return await call(ctx, lambda reg, cancel, emit: acting().run_scenario(
            workspace, reg, path, users, duration, name, cancel, emit))

    @server.tool(annotations=REMOVES)
    async def down(name: str) -> dict[str, Any]:
        """Remove a stack: every container, network and volume (idempotent). Returns what was removed."""
        return await call(None, lambda reg, cancel, emit: acting().down(workspace, reg, name))


def _add_aspect_resource(server: MCPServer, workspace: Workspace, json_text: Callable[[Callable[[], Any]], str],
                         profile_name: str, aspect: str, title: str, description: str,
                         registry: "_LazyRegistry") -> None:
    def read() -> str:
        return json_text(lambda: describe_aspect(workspace, workspace.profile(profile_name), aspect,
                                                 registry.peek()))

    server.resource(f"envsim://profiles/{profile_name}/{aspect}", name=f"{profile_name}-{aspect}",
                    title=f"{title} ({profile_name})", description=description,
                    mime_type="application/json")(read)
