"""One scenario run: stack up if needed, load with the fault timeline, probes, journal.

Everything that must be undone is undone in `finally` blocks: faults are reverted, and a
stack this run created is removed, whether the run ends, fails or is interrupted.
"""

from __future__ import annotations

import hashlib
import platform
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping

from envsim import __version__
from envsim.config.model import Scenario
from envsim.errors import EnvironmentProblem
from envsim.plan.scenario import ScenarioPlan
from envsim.journal import ContainerEvent, Journal, LogExcerpt


@dataclass(frozen=True)
class RunOptions:
    stack_name: str | None = None
    bring_up: bool = True  # False: require a running stack (--no-up)
    keep_stack: bool = False  # keep a stack this run created
    pull: bool = True


def file_digest(path: Path) -> str:
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _container_facts(client, plan: ScenarioPlan, secrets: Mapping[str, str], load_start: float, had_failures: bool):
    """Container events seen at the end of the run, and log excerpts of the services when
    requests failed or a container is down (secret values redacted)."""
    from envsim.engine.docker_engine import last_log_lines

    events, logs, images = [], [], {}
    for container_plan in plan.stack.containers:
        try:
            container = client.containers.get(container_plan.name)
        except Exception:  # gone (killed by a fault and not restarted): recorded as an event
            events.append(ContainerEvent(time.monotonic() - load_start, container_plan.service, container_plan.name, "missing"))
            continue
        state = container.attrs.get("State", {})
        images[container_plan.name] = container.attrs.get("Image", "")
        now = time.monotonic() - load_start
        if state.get("OOMKilled"):
            events.append(ContainerEvent(now, container_plan.service, container.name, "oom", "killed for memory"))
        if container.attrs.get("RestartCount"):
            events.append(ContainerEvent(now, container_plan.service, container.name, "restart",
                                         f"{container.attrs['RestartCount']} restarts"))
        if container.status != "running":
            events.append(ContainerEvent(now, container_plan.service, container.name, container.status,
                                         f"exit code {state.get('ExitCode')}"))
        if had_failures or container.status != "running":
            logs.append(LogExcerpt(container_plan.service, now, tuple(last_log_lines(container, 30, secrets.values()))))
    return tuple(events), tuple(logs), images


def run_scenario(
    scenario: Scenario,
    plan: ScenarioPlan,
    options: RunOptions,
    env: Mapping[str, str],
    cancel: threading.Event,
    observer,
    bring_up: Callable,
) -> Journal:
    """Run the scenario and return its journal. `bring_up(cancel)` starts the stack (CLI-provided)."""
    from envsim.engine.attach import attach_stack, is_running
    from envsim.engine.docker_engine import connect
    from envsim.engine.fault_switch import StackFaults
    from envsim.engine.probes import run_probes
    from envsim.engine.teardown import remove_stack
    from envsim.engine.toxiproxy_client import ToxiproxyClient
    from envsim.run.load_runner import run_load

    client = connect()
    created = False
    if is_running(client, plan.stack):
        handle = attach_stack(client, plan.stack, env)
    elif not options.bring_up:
        raise EnvironmentProblem(
            f"stack {plan.stack.stack} is not running and --no-up was given",
            hint=f"start it with `envsim up {scenario.profile.name}`",
        )
    else:
        created = True
        handle = bring_up(cancel)
    switch = StackFaults(client, {f.name: f for f in plan.faults}, handle.toxiproxy_urls)
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    try:
        switch.clear_all()  # a fault left by an earlier ad-hoc `envsim fault apply` would skew the baseline
        result = run_load(
            plan.load,
            handle.entry_url(plan.entry_point.name),
            plan.timeline,
            switch,
            observer,
            handle.secrets,
        )
        switch.clear_all()
        load_start_monotonic = time.monotonic() - result.duration
        run_start = datetime.fromisoformat(result.started_at)
        probes = run_probes(client, handle, scenario, run_start, load_start_monotonic)
        had_failures = any(point.failures for point in result.series)
        events, logs, images = _container_facts(client, plan, handle.secrets, load_start_monotonic, had_failures)
        toxiproxy_version = ToxiproxyClient(next(iter(handle.toxiproxy_urls.values()))).version()
    finally:
        try:
            switch.clear_all()
        finally:
            if created and not options.keep_stack:
                remove_stack(client, plan.stack.stack, env)
    return Journal(
        run_id=run_id,
        started_at=result.started_at,
        ended_at=result.ended_at,
        duration=result.duration,
        profile=scenario.profile.name,
        scenario=scenario.name,
        profile_digest=file_digest(scenario.profile.source),
        scenario_digest=file_digest(scenario.source),
        environment={
            "images": images,
            "toxiproxy": toxiproxy_version,
            "locust": result.locust_version,
            "python": platform.python_version(),
            "envsim": __version__,
            "stack": plan.stack.stack,
            "target": plan.entry_point.name,
        },
        planned_timeline=plan.timeline,
        checks=tuple(scenario.checks),
        series=result.series,
        faults=result.faults,
        probes=probes,
        container_events=events,
        logs=logs,
        interrupted=result.interrupted,
        # lets checks name an endpoint either way: task name or "METHOD /path"
        extra={"endpoints": {t.name: f"{t.method} {t.path}" for t in scenario.load.tasks}},
    )
