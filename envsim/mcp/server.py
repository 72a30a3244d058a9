"""The MCP server: resources and read-only tools describing the app repo's environment.

Built on the official SDK's `MCPServer` (mcp 2.x). Everything is read from profiles/ and
scenarios/ under the repo root on each request, through envsim.api; nothing here starts a
container, runs a shell or generates a secret value. Every answer passes a scrubber that
replaces credential values taken from the environment with `<secret:NAME>`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Mapping

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from envsim import __version__, api
from envsim.config.model import Profile, Scenario
from envsim.errors import EnvsimError, InputError
from envsim.mcp import context
from envsim.mcp.schema_info import describe_data
from envsim.mcp.workspace import Workspace
from envsim.plan.render import profile_plan_to_dict, scenario_to_dict

INSTRUCTIONS = """\
envsim describes the environment this repo's code runs in, from its profiles (profiles/*.yaml)
and scenarios (scenarios/*.yaml). Before writing code that talks to a service, a database or a
third-party API, read the profile's resources or call describe_environment: services and
addresses, every environment variable a service receives (secrets appear only as
<secret: NAME>, with their rotation), tables with row counts at production scale and their
indexes, the third-party APIs' auth, versions and latency, and the failure modes the code must
survive. Tools here are read-only: none starts a container."""

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


def describe_aspect(workspace: Workspace, profile: Profile, aspect: str) -> dict[str, Any]:
    if aspect == "services":
        return context.describe_services(profile)
    if aspect == "configuration":
        return context.describe_configuration(profile)
    if aspect == "data":
        return describe_data(profile)
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


def environment_description(workspace: Workspace, profile_name: str) -> dict[str, Any]:
    profile = workspace.profile(profile_name)
    return {
        "profile": profile.name,
        "file": str(profile.source.relative_to(workspace.root)),
        **{aspect.replace("-", "_"): _strip_profile(describe_aspect(workspace, profile, aspect)) for aspect in ASPECTS},
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
        "tools": ["validate", "plan", "describe_environment"],
    }


class _Guard:
    """Runs a handler: envsim errors become tool errors with the CLI's text; every answer is scrubbed."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace

    def __call__(self, handler: Callable[[], Any]) -> Any:
        try:
            result = handler()
        except InputError as error:
            raise ToolError(self.workspace.scrubber().text(self.workspace.error_text(error))) from None
        except EnvsimError as error:
            raise ToolError(self.workspace.scrubber().text(str(error))) from None
        return self.workspace.scrubber().data(result)


def build_server(root: Path | str | None = None, env: Mapping[str, str] | None = None) -> MCPServer:
    """The server for the app repo at `root` (default: the working directory).

    `env` is what `${env.VAR}` reads (default: this process's environment).
    """
    workspace = Workspace(Path(root) if root is not None else Path.cwd())
    if env is not None:
        workspace.env = dict(env)
    guard = _Guard(workspace)
    server = MCPServer("envsim", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")

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
            _add_aspect_resource(server, workspace, json_text, profile_name, aspect, title, description)

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
        return guard(lambda: environment_description(workspace, profile))

    return server


def _add_aspect_resource(server: MCPServer, workspace: Workspace, json_text: Callable[[Callable[[], Any]], str],
                         profile_name: str, aspect: str, title: str, description: str) -> None:
    def read() -> str:
        return json_text(lambda: describe_aspect(workspace, workspace.profile(profile_name), aspect))

    server.resource(f"envsim://profiles/{profile_name}/{aspect}", name=f"{profile_name}-{aspect}",
                    title=f"{title} ({profile_name})", description=description,
                    mime_type="application/json")(read)


def run_stdio(root: Path | str | None = None) -> None:
    """Serve over stdin/stdout until the client disconnects."""
    import anyio

    anyio.run(build_server(root).run_stdio_async)
