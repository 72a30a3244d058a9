"""The tools that act on stacks: up, status, fault_apply/fault_clear, run_scenario, down.

Each is a plain function of the workspace (run in a worker thread by the server) that calls
envsim.api and returns a compact JSON-able dict. Long ones take `cancel` (a threading.Event,
the api's) and `emit(progress, total, message)`, which the server turns into MCP progress
notifications. `Registry` (envsim.mcp.registry) holds the stacks this server started and
is starting, so they are torn down when the agent cancels the `up` that started them, and
when the server stops (or dies).

Imported on the first acting call or live data read, never at server start.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from typing import Any

from envsim import api
from envsim.api import ALL_ENDPOINTS, ApplyProgress, Profile, RunObserver
from envsim.errors import EnvironmentProblem, InputError, Interrupted
from envsim.mcp.registry import Registry
from envsim.mcp.workspace import Workspace

Emit = Callable[[float, "float | None", str], None]

LOG_LINES = 20  # per excerpt in a run_scenario answer
_STACK_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


# --------------------------------------------------------------------------- progress


class StepProgress(ApplyProgress):
    """Each start-up step as one progress notification (no total: the count is not known)."""

    def __init__(self, emit: Emit, start: int = 0):
        self.emit, self.count = emit, start

    def step(self, subject: str, message: str) -> None:
        self.count += 1
        self.emit(self.count, None, f"{subject}: {message}")


class SecondsProgress(RunObserver):
    """Each second of load as progress `elapsed / duration`, with throughput and errors."""

    def __init__(self, emit: Emit):
        self.emit = emit
        self.total: float | None = None

    def on_start(self, start) -> None:
        self.total = start.duration
        self.emit(0, self.total, f"load started: {start.users} users for {start.duration:g}s")

    def on_second(self, points) -> None:
        aggregate = next((p for p in points if p.endpoint == ALL_ENDPOINTS), None)
        if aggregate is None:
            return
        errors = f"{aggregate.failures / aggregate.requests:.1%}" if aggregate.requests else "0%"
        self.emit(aggregate.t + 1, self.total, f"{aggregate.t + 1}s: {aggregate.requests} requests, errors {errors}")

    def on_fault(self, event) -> None:
        if event.action in ("applied", "removed"):
            self.emit(max(event.actual, 0.0), self.total, f"fault {event.fault} {event.action}")


# --------------------------------------------------------------------------- inputs


def check_stack_name(name: str) -> str:
    if not isinstance(name, str) or not _STACK_NAME.match(name):
        raise InputError(f"name: {name!r} is not a stack name (lower-case letters, digits, '-', '_', '.')")
    return name


def _optional_name(name: str | None) -> str | None:
    return None if name is None or name == "" else check_stack_name(name)


def _rel(workspace: Workspace, path) -> str:
    try:
        return str(path.resolve().relative_to(workspace.root))
    except ValueError:
        return str(path)


def _remember_secrets(workspace: Workspace, stack) -> None:
    for credential, value in stack.handle.secrets.items():
        workspace.remember_secret(credential, value)


def resolve_stack(workspace: Workspace, registry: Registry, name: str | None) -> str:
    """The stack a tool means: `name`, else the one this server started, else the one of this repo."""
    name = _optional_name(name)
    if name:
        return name
    started = registry.names()
    if len(started) == 1:
        return started[0]
    running = started or api.stacks(workspace.root)
    if len(running) != 1:
        raise InputError(
            "name: say which stack: "
            + (
                f"{len(running)} are running ({', '.join(running)})"
                if running
                else "no stack of this repo is running (start one with the `up` tool)"
            )
        )
    return running[0]


def profile_for_stack(workspace: Workspace, registry: Registry, name: str) -> Profile:
    profile = registry.profile_of(name)
    if profile is not None:
        return profile
    for candidate in workspace.profile_names():
        try:
            loaded = workspace.profile(candidate)
        except InputError:
            continue
        if api.plan(loaded).stack.stack == name:
            return loaded
    raise InputError(
        f"name: no running stack {name!r} of this repo's profiles "
        f"(profiles: {', '.join(workspace.profile_names()) or 'none'})"
    )


def attach(workspace: Workspace, registry: Registry, name: str):
    profile = profile_for_stack(workspace, registry, name)
    stack = api.attach(name, profile=profile, env=workspace.env)
    _remember_secrets(workspace, stack)
    return stack


# --------------------------------------------------------------------------- up / status / down


def stack_summary(stack) -> dict[str, Any]:
    services: dict[str, int] = {}
    for container in stack.plan.containers:
        services[container.service] = services.get(container.service, 0) + 1
    return {
        "stack": stack.name,
        "profile": stack.profile.name,
        "endpoints": {f"{p.service}.{p.port_name}": stack.handle.entry_url(p.name) for p in stack.plan.entry_points},
        "services": [{"name": s, "containers": n} for s, n in sorted(services.items())],
        "failure_modes": sorted(stack.faults),
    }


def up(
    workspace: Workspace, registry: Registry, profile: str, name: str | None, cancel: threading.Event, emit: Emit
) -> dict[str, Any]:
    loaded = workspace.profile(profile)
    name = _optional_name(name)
    planned = api.plan(loaded, name=name).stack
    already = api.running(planned)
    with registry.starting(None if already else planned.stack):
        stack = api.up(loaded, name, keep=True, progress=StepProgress(emit), cancel=cancel, env=workspace.env)
        if not already or registry.profile_of(stack.name) is not None:
            registry.add(stack.name, loaded)
    _remember_secrets(workspace, stack)
    if cancel.is_set():  # cancelled just as start-up finished: undo it, as SIGINT would
        if registry.discard(stack.name):
            stack.down()
        raise Interrupted("cancelled")
    return {
        **stack_summary(stack),
        "started_by_this_server": registry.profile_of(stack.name) is not None,
        "note": (
            "removed by the `down` tool, or when this MCP server stops"
            if not already
            else "was already running; left running when this server stops"
        ),
    }


def status(workspace: Workspace, registry: Registry, name: str | None) -> dict[str, Any]:
    name = resolve_stack(workspace, registry, name)
    current = api.status(name)
    if not current.found:
        return {
            "stack": name,
            "running": False,
            "services": {},
            "endpoints": {},
            "proxies": [],
            "active_faults": [],
            "problems": [],
            "started_by_this_server": False,
        }
    services: dict[str, list[dict[str, Any]]] = {}
    for c in current.containers:
        services.setdefault(c.service, []).append(
            {"container": c.name, "replica": c.replica, "state": c.state, "health": c.health, "direct": c.direct}
        )
    active: list[str] | None
    problems = list(current.problems)
    endpoints = {p.name: p.entry_url for p in current.proxies if p.entry_url}
    try:
        stack = attach(workspace, registry, name)
        active = stack.active_faults()
        endpoints = stack_summary(stack)["endpoints"]
    except (InputError, EnvironmentProblem) as error:
        active = None
        problems.append(f"active faults unknown: {error}")
    return {
        "stack": name,
        "running": all(c.state == "running" for c in current.containers),
        "services": services,
        "endpoints": endpoints,
        "proxies": [
            {"name": p.name, "listen": p.listen, "upstream": p.upstream, "enabled": p.enabled, "toxics": list(p.toxics)}
            for p in current.proxies
        ],
        "active_faults": active,
        "problems": problems,
        "started_by_this_server": registry.profile_of(name) is not None,
    }


def fault_apply(workspace: Workspace, registry: Registry, fault: str, name: str | None) -> dict[str, Any]:
    if not isinstance(fault, str) or not fault:
        raise InputError("fault: name a failure mode of the stack's profile")
    name = resolve_stack(workspace, registry, name)
    stack = attach(workspace, registry, name)
    applied = stack.apply_fault(fault)
    return {
        "stack": name,
        "applied": fault,
        "target": applied.target,
        "effect": applied.describe(),
        "active_faults": stack.active_faults(),
    }


def fault_clear(workspace: Workspace, registry: Registry, fault: str | None, name: str | None) -> dict[str, Any]:
    name = resolve_stack(workspace, registry, name)
    stack = attach(workspace, registry, name)
    stack.clear_fault(fault or None)
    return {"stack": name, "cleared": fault or "all", "active_faults": stack.active_faults()}


def down(workspace: Workspace, registry: Registry, name: str) -> dict[str, Any]:
    name = check_stack_name(name)
    counts, _ = api.down(name, env=workspace.env)
    started = registry.discard(name)
    return {
        "stack": name,
        "removed": {"containers": counts.containers, "networks": counts.networks, "volumes": counts.volumes},
        "was_started_by_this_server": started,
    }


# --------------------------------------------------------------------------- run_scenario


def run_scenario(
    workspace: Workspace,
    registry: Registry,
    path: str,
    users: int | None,
    duration: str | None,
    name: str | None,
    cancel: threading.Event,
    emit: Emit,
) -> dict[str, Any]:
    scenario = workspace.scenario(path)
    if users is not None and (isinstance(users, bool) or not isinstance(users, int)):
        raise InputError(f"--users: {users!r} is not a number of users (1 or more)")
    api.load_scenario(scenario, users=users, duration=duration)  # InputError before anything starts
    name = _optional_name(name) or registry.name_for(scenario.profile)
    steps = StepProgress(emit)
    with _undone_if_this_server_dies(registry, scenario, name):
        result = api.run(
            scenario,
            name=name,
            users=users,
            duration=duration,
            observer=SecondsProgress(emit),
            progress=steps,
            cancel=cancel,
            env=workspace.env,
        )
    if cancel.is_set():
        raise Interrupted("cancelled; faults were reverted")
    return run_summary(workspace, result)


def _undone_if_this_server_dies(registry: Registry, scenario, name: str | None):
    """What the watcher must undo should the server die mid-run: the stack the run starts, or
    the faults it applies to a running stack this server did not start."""
    planned = api.plan(scenario, name=name).stack
    if registry.profile_of(planned.stack) is not None:
        return contextlib.nullcontext()  # registered already: removed in any case
    if api.running(planned):
        return registry.running_on(planned.stack, scenario.profile)
    return registry.starting(planned.stack)


def run_summary(workspace: Workspace, result) -> dict[str, Any]:
    verdict, journal = result.verdict, result.journal
    checks = list(journal.checks)
    failed = []
    for check in verdict.failed:
        index = _check_index(check.check_id)
        spec = checks[index] if index is not None and index < len(checks) else None
        failed.append(
            {
                "id": check.check_id,
                "label": check.label,
                "kind": check.kind,
                "measured": check.measured,
                "bound": check.bound,
                "comparator": check.comparator,
                "unit": check.unit,
                "phase": getattr(spec, "phase", None),
                "reason": check.reason,
                "top_failures": list(check.top_failures),
                # a failed latency check: its window's endpoints and the databases' slowest work
                **({"why_slow": why} if (why := api.slow_check_lines(journal, check)) else {}),
            }
        )
    return {
        "scenario": verdict.scenario or journal.scenario,
        "run_id": verdict.run_id,
        "verdict": "passed" if result.passed else "inconclusive" if result.inconclusive else "failed",
        "summary": verdict.summary_line(),
        "checks": {"total": len(verdict.results), "passed": sum(1 for r in verdict.results if r.passed)},
        "failed_checks": failed,
        "inconclusive_checks": [{"id": r.check_id, "label": r.label, "why": r.inconclusive} for r in verdict.undecided],
        "failure_reasons": [
            {"phase": f.phase, "failures": f.failures, "reasons": [r.describe() for r in f.reasons]}
            for f in verdict.failure_reasons
            if f.failures
        ],
        "notes": list(verdict.notes),
        "interrupted": journal.interrupted,
        "log_excerpts": [
            {"service": e.service, "t": round(e.t, 1), "lines": list(e.lines[-LOG_LINES:])} for e in journal.logs
        ],
        "journal": _rel(workspace, result.journal_path) if result.journal_path else None,
        "reports": [_rel(workspace, p) for p in result.report_paths],
        # the verdict stands; its files could not all be written (a full disk): what and why
        **({"write_problem": str(result.write_problem)} if result.write_problem is not None else {}),
    }


def _check_index(check_id: str) -> int | None:
    number = check_id.rpartition("-")[2]
    return int(number) - 1 if number.isdigit() else None


# --------------------------------------------------------------------------- live data


_INDEX_COLUMNS = re.compile(r"\((.*)\)\s*(?:INCLUDE|WHERE|WITH|$)")


def add_live_data(workspace: Workspace, registry: Registry | None, profile: Profile, data: dict[str, Any]) -> None:
    """Adds `live` (tables, columns, indexes, row counts from the running database) to each of
    `data`'s databases when the profile's stack is up; `live_note` says why not otherwise."""
    if not data.get("databases"):
        return
    name = (registry.name_for(profile) if registry else None) or api.plan(profile).stack.stack
    try:
        if not api.running(api.plan(profile, name=name).stack):
            data["live_note"] = f"stack {name} is not running: the data above is read from the seed files"
            return
        stack = api.attach(name, profile=profile, env=workspace.env)
    except EnvironmentProblem as error:
        data["live_note"] = f"no live data: {error}"
        return
    _remember_secrets(workspace, stack)
    for database in data["databases"]:
        try:
            live = api.live_schema(stack, database["service"])
        except (InputError, EnvironmentProblem) as error:
            database["live"] = {"stack": name, "error": str(error)}
            continue
        for table in live["tables"]:
            for index in table["indexes"]:
                index["unique"] = " UNIQUE INDEX " in index["definition"]
                match = _INDEX_COLUMNS.search(index["definition"])
                index["columns"] = [c.strip() for c in match.group(1).split(",")] if match else []
        database["live"] = {
            "stack": name,
            "source": "the running database (information_schema, pg_indexes, count(*))",
            "tables": live["tables"],
        }
