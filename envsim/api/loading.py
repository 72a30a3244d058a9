"""Loading and planning: files in, frozen model and plans out. Nothing here touches Docker."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from envsim import config
from envsim.config.generator_cpus import cpu_problem, machine_cpus, parse_cpus
from envsim.config.profile_model import Profile
from envsim.config.scenario_model import LoadSpec, Scenario
from envsim.errors import InputError
from envsim.plan.faults import FaultPlan, plan_faults
from envsim.plan.scenario import ScenarioPlan, plan_scenario
from envsim.plan.sql_schema import describe_data, seed_sql_files
from envsim.plan.stack import StackPlan, plan_stack, safe_name
from envsim.units import parse_duration

ProfileLike = Profile | str | Path
ScenarioLike = Scenario | str | Path


@dataclass(frozen=True)
class ProfilePlan:
    """A profile's plan: its stack and every failure mode it declares."""

    profile: Profile
    stack: StackPlan
    faults: tuple[FaultPlan, ...]


def _env(env: Mapping[str, str] | None) -> dict[str, str]:
    return dict(os.environ if env is None else env)


def load_profile(profile: ProfileLike, *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Profile:
    """A profile by name (`profiles/NAME.yaml` under `cwd`) or path; a Profile passes through.

    `env` is what `${env.VAR}` reads (default: this process's environment).
    Raises InputError with every problem found.
    """
    if isinstance(profile, Profile):
        return profile
    return config.load_profile(config.resolve_profile_path(str(profile), cwd or Path.cwd()), _env(env))


LOCUST_MASTER_PORT = 5557  # Locust's own default, where workers from elsewhere look first


@dataclass(frozen=True)
class WorkerOptions:
    """Where the load's Locust workers run, over the scenario's `load.workers`."""

    count: int | None = None  # replaces load.workers; 0: one process
    # "local": processes started here; "docker": containers on the stack's network;
    # "remote": they join with `envsim worker`
    on: str | None = None
    bind: str | None = None  # the address the master listens on
    port: int | None = None  # the master's port; remote workers default to Locust's 5557


def load_scenario(
    scenario: ScenarioLike,
    *,
    env: Mapping[str, str] | None = None,
    users: int | None = None,
    duration: str | float | None = None,
    workers: WorkerOptions | None = None,
    generator_cpus: str | tuple[int, ...] | None = None,
    backend: str = "docker",
) -> Scenario:
    """A scenario from its path (a Scenario passes through), with optional load overrides.

    `users` and `duration` ("30s", "2m" or seconds) replace the scenario's load and its stages;
    `generator_cpus` ("0", "0,1", "0-1" or cores) replaces `load.cpus`. `backend`: the engine
    the scenario must be runnable on (envsim.config.backends), checked on the file as written.
    """
    loaded = scenario if isinstance(scenario, Scenario) else config.load_scenario(Path(scenario), _env(env), backend)
    return with_load_overrides(loaded, users=users, duration=duration, workers=workers, generator_cpus=generator_cpus)


def with_workers(load: LoadSpec, workers: WorkerOptions) -> LoadSpec:
    count = load.workers if workers.count is None else workers.count
    on = workers.on or load.workers_on
    if on == "remote" and count < 1:
        raise InputError("--workers-on remote: say how many workers will join (--workers N or load.workers)")
    if on == "docker" and count < 1:
        raise InputError("--workers-on docker: say how many worker containers to start (--workers N or load.workers)")
    if on == "docker" and workers.bind:
        raise InputError("--master-bind: workers in containers reach the master at the stack network's gateway")
    port = workers.port if workers.port is not None else (LOCUST_MASTER_PORT if on == "remote" else load.master_port)
    return dataclasses.replace(
        load, workers=count, workers_on=on, master_bind=workers.bind or load.master_bind, master_port=port
    )


def with_load_overrides(
    scenario: Scenario,
    *,
    users: int | None = None,
    duration: str | float | None = None,
    workers: WorkerOptions | None = None,
    generator_cpus: str | tuple[int, ...] | None = None,
) -> Scenario:
    if users is None and duration is None and workers is None and generator_cpus is None:
        return scenario
    load = scenario.load if workers is None else with_workers(scenario.load, workers)
    if generator_cpus is not None:
        load = dataclasses.replace(load, cpus=_generator_cpus(generator_cpus))
    if duration is not None:
        seconds = float(duration) if isinstance(duration, (int, float)) else parse_duration(duration)
        if seconds is None or seconds <= 0:
            raise InputError(f"--duration: {duration!r} is not a duration (e.g. 30s, 2m)")
        load = dataclasses.replace(load, duration=seconds, stages=())
    if users is not None:
        if users < 1:
            raise InputError(f"--users: {users} is not a number of users (1 or more)")
        load = dataclasses.replace(load, users=users, stages=())
    return dataclasses.replace(scenario, load=load)


def _generator_cpus(written: str | tuple[int, ...]) -> tuple[int, ...]:
    try:
        cores = parse_cpus(written) if isinstance(written, str) else tuple(written)
    except ValueError as error:
        raise InputError(f"--generator-cpus: {error}") from None
    for core in cores:
        problem = cpu_problem(core, cores, machine_cpus())
        if problem:
            raise InputError(f"--generator-cpus: {problem}")
    return cores


def load_any(
    target: str | Path, *, cwd: Path | None = None, env: Mapping[str, str] | None = None, backend: str = "docker"
) -> Profile | Scenario:
    """A profile name or path, or a scenario path: which one is decided by the file's content.
    `backend` ("docker" or "kubernetes"): what it must be realisable on; what is not is a
    located problem."""
    return config.load_any(str(target), cwd or Path.cwd(), _env(env), backend)


@overload
def plan(target: Scenario, *, name: str | None = None) -> ScenarioPlan: ...
@overload
def plan(target: Profile, *, name: str | None = None) -> ProfilePlan: ...
@overload
def plan(target: ProfileLike | ScenarioLike, *, name: str | None = None) -> ProfilePlan | ScenarioPlan: ...
def plan(target: ProfileLike | ScenarioLike, *, name: str | None = None) -> ProfilePlan | ScenarioPlan:
    """The fully resolved plan of a profile or scenario (object, name or path); nothing starts."""
    loaded = target if isinstance(target, (Profile, Scenario)) else load_any(target)
    if isinstance(loaded, Scenario):
        return plan_scenario(loaded, name)
    stack = plan_stack(loaded, name)
    return ProfilePlan(loaded, stack, plan_faults(stack, loaded))


def seeded_data(profile: Profile) -> dict[str, Any]:
    """Per database service: the tables its seed SQL declares (columns, types, indexes) and the
    rows its seeds leave, read from the files; nothing runs."""
    return describe_data(profile, {path: path.read_text(encoding="utf-8-sig") for path in seed_sql_files(profile)})


def stack_name_for(profile_arg: str) -> str:
    """A profile's stack name; a bare name that is not a profile file is taken as a stack name."""
    try:
        return safe_name(load_profile(profile_arg).name)
    except InputError:
        if "/" in profile_arg or profile_arg.endswith((".yaml", ".yml")):
            raise
        return safe_name(profile_arg)
