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

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from envsim import __version__, api
from envsim.api import Profile, Scenario, profile_plan_to_dict, scenario_to_dict
from envsim.errors import InputError
from envsim.mcp import context
from envsim.mcp.acting_tools import ACTING_TOOLS, LazyRegistry, add_acting_tools
from envsim.mcp.tool_calls import Guard
from envsim.mcp.workspace import Workspace

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
    "configuration": (
        "Configuration contract",
        "every environment variable each service receives; secrets as "
        "<secret: NAME> with generation rule, rotation ttl and mount path",
    ),
    "data": ("Data", "tables, columns, types and indexes from the seed SQL, row counts at the profile's scale"),
    "apis": (
        "Third-party APIs",
        "each stub: routes or OpenAPI file, auth scheme, current/deprecated versions, rate limits, latency",
    ),
    "failure-modes": ("Failure modes", "each failure mode and what it does to the stack"),
}

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


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
        **{
            aspect.replace("-", "_"): _strip_profile(describe_aspect(workspace, profile, aspect, registry))
            for aspect in ASPECTS
        },
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
        "resources": {name: {aspect: f"envsim://profiles/{name}/{aspect}" for aspect in ASPECTS} for name in profiles},
        "tools": ["validate", "plan", "describe_environment", *ACTING_TOOLS],
    }


def build_server(root: Path | str | None = None, env: Mapping[str, str] | None = None) -> MCPServer:
    """The server for the app repo at `root` (default: the working directory).

    `env` is what `${env.VAR}` reads (default: this process's environment).
    """
    workspace = Workspace(Path(root) if root is not None else Path.cwd())
    if env is not None:
        workspace.env = dict(env)
    guard = Guard(workspace)
    registry = LazyRegistry(workspace)
    stopped = threading.Event()
    server = MCPServer(
        "envsim",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="WARNING",
        lifespan=_lifespan(registry, stopped),
    )
    server.envsim_registry = registry  # type: ignore[attr-defined]  # for tests
    server.envsim_stopped = stopped  # type: ignore[attr-defined]  # set once torn down; for envsim.mcp.stdio
    _add_resources(server, workspace, guard, registry)
    _add_reading_tools(server, workspace, guard, registry)
    add_acting_tools(server, workspace, guard, registry)
    return server


def _lifespan(registry: LazyRegistry, stopped: threading.Event) -> Callable[[MCPServer], Any]:
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

    return lifespan


def _json_text(guard: Guard, handler: Callable[[], Any]) -> str:
    try:
        return json.dumps(guard(handler), indent=2, sort_keys=True)
    except ToolError as error:
        return json.dumps({"error": str(error)}, indent=2)


def _add_resources(server: MCPServer, workspace: Workspace, guard: Guard, registry: LazyRegistry) -> None:
    def json_text(handler: Callable[[], Any]) -> str:
        return _json_text(guard, handler)

    @server.resource(
        "envsim://environment",
        name="environment",
        title="envsim environment index",
        description="Profiles, scenarios and the resource URI of each aspect of each profile.",
        mime_type="application/json",
    )
    def environment_index() -> str:
        return json_text(lambda: index(workspace))

    @server.resource(
        "envsim://scenarios",
        name="scenarios",
        title="Scenarios and their checks",
        description="Every scenario: load, fault timeline and the checks its verdict applies.",
        mime_type="application/json",
    )
    def scenarios_resource() -> str:
        return json_text(lambda: describe_scenarios(workspace))

    for profile_name in workspace.profile_names():
        for aspect, (title, description) in ASPECTS.items():
            _add_aspect_resource(server, workspace, json_text, profile_name, aspect, title, description, registry)


def _add_reading_tools(server: MCPServer, workspace: Workspace, guard: Guard, registry: LazyRegistry) -> None:
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
        return guard(lambda: _plan_answer(workspace, target, name))

    @server.tool(annotations=READ_ONLY)
    def describe_environment(profile: str) -> dict[str, Any]:
        """Everything about a profile's environment in one answer (read-only; nothing starts).

        Services, configuration contract (secrets as <secret: NAME> with rotation and mounts),
        data (tables, columns, types, indexes, row counts at the profile's scale), third-party
        APIs (auth scheme, versions, rate limits, latency), failure modes, and the scenarios
        using the profile with their checks.
        """
        return guard(lambda: environment_description(workspace, profile, registry.peek()))


def _plan_answer(workspace: Workspace, target: str, name: str | None) -> dict[str, Any]:
    loaded = workspace.target(target)
    if isinstance(loaded, Scenario):
        return {"kind": "scenario", "plan": scenario_to_dict(api.plan(loaded, name=name))}
    resolved = api.plan(loaded, name=name)
    return {"kind": "profile", "plan": profile_plan_to_dict(resolved.stack, resolved.faults)}


def _add_aspect_resource(
    server: MCPServer,
    workspace: Workspace,
    json_text: Callable[[Callable[[], Any]], str],
    profile_name: str,
    aspect: str,
    title: str,
    description: str,
    registry: LazyRegistry,
) -> None:
    def read() -> str:
        return json_text(lambda: describe_aspect(workspace, workspace.profile(profile_name), aspect, registry.peek()))

    server.resource(
        f"envsim://profiles/{profile_name}/{aspect}",
        name=f"{profile_name}-{aspect}",
        title=f"{title} ({profile_name})",
        description=description,
        mime_type="application/json",
    )(read)
