"""One scenario run on a stack that is up: load with the fault timeline, probes, the journal.

Faults are reverted in `finally` blocks whether the run ends, fails or is interrupted.
Bringing the stack up and removing it afterwards is the caller's (envsim.api.run).
"""

from __future__ import annotations

import hashlib
import platform
import sys
import time
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from envsim import __version__
from envsim.config.generator_cpus import machine_cpus, stack_cpus
from envsim.config.scenario_model import Scenario
from envsim.engine.apply import StackHandle
from envsim.engine.container_facts import ContainerFacts
from envsim.engine.fault_switch import StackFaults
from envsim.engine.kubernetes.load_jobs import LoadJobs
from envsim.engine.load_workers import WorkerContainers
from envsim.engine.probes import run_probes, stub_traffic
from envsim.engine.proxies import toxiproxy_version
from envsim.engine.rotation import CredentialRotator, Rotated
from envsim.engine.run_engine import RunEngine, RunWatch
from envsim.engine.stack_watch import StackChanged
from envsim.engine.state import StackState
from envsim.engine.statement_stats import DatabaseEvidence
from envsim.engine.stub_calls import CallWindow, clear_journals
from envsim.errors import EnvironmentProblem, InputError
from envsim.journal import CredentialRotation, Journal, ProbeResult, fault_windows
from envsim.plan.kubernetes_load import cluster_target
from envsim.plan.scenario import ScenarioPlan
from envsim.run.cluster_load import ClusterLoadProcess
from envsim.run.load_result import LoadResult
from envsim.run.load_with_faults import run_load
from envsim.run.progress import ObserverGroup, RunObserver


@dataclass(frozen=True)
class AfterLoad:
    """What is measured once the load has ended: invariants and the containers' state."""

    probes: tuple[ProbeResult, ...]
    containers: ContainerFacts
    toxiproxy_version: str
    stub_calls: tuple[dict, ...] = ()  # calls each stub answered, by route and status
    # the databases' slowest work during the load (envsim.engine.statement_stats), for extra
    databases: dict[str, list[dict]] = field(default_factory=dict)


def file_digest(path: Path) -> str:
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def _fault_switch(engine: RunEngine, stack: StackHandle, plan: ScenarioPlan) -> StackFaults:
    # HTTP faults on stubs expire by themselves a little after their longest planned window
    windows: dict[str, float] = {}
    for step in plan.timeline:
        windows[step.fault] = max(windows.get(step.fault, 0.0), step.end - step.start)
    return StackFaults(
        engine.docker,
        {f.name: f for f in plan.faults},
        stack.toxiproxy_urls,
        stub_urls=stack.stub_urls,
        windows=windows,
        front_apis=stack.front_apis,
        containers=engine,
    )


def run_scenario(
    run_engine: RunEngine,
    stack: StackHandle,
    scenario: Scenario,
    plan: ScenarioPlan,
    observer: RunObserver | None = None,
    state: StackState | None = None,
    engine: str = "docker",
    worker_image: str | None = None,
    load_jobs: LoadJobs | None = None,
) -> Journal:
    """Drive the scenario's load and timeline against `stack` through `run_engine`; the journal
    names `engine` (`docker 20.10.24`) and how the load reached the stack.

    `worker_image` runs the load's workers when they are to run in containers (`workers_on: docker`);
    `load_jobs` runs the whole load as pods in the stack's cluster (`--load-on cluster`)."""
    switch = _fault_switch(run_engine, stack, plan)
    run_id = new_run_id()
    # credentials with a ttl rotate beside the fault scheduler, from the start of the load (on_start)
    live = stack.secrets if isinstance(stack.secrets, MutableMapping) else dict(stack.secrets)
    rotator = CredentialRotator(run_engine, plan.stack, stack.stub_urls, live, state)
    rotated: tuple[Rotated, ...] = ()
    stack_cores = tuple(generator_setup(plan.load.cpus).get("stack_cpus", ()))
    try:
        switch.clear_all()  # a fault left by an earlier ad-hoc `envsim fault apply` would skew the baseline
        clear_journals(stack.stub_urls.values())  # stub checks count this run's calls only
        databases = DatabaseEvidence(run_engine, stack, scenario.profile)
        databases.start()  # their statistics count this run's load only
        watch = run_engine.watch().start()
        try:
            with run_engine.pinned(stack_cores):
                rotating = _RotatingFromTheLoadStart(rotator)
                watched = _EngineWatched(ObserverGroup(rotating, observer or RunObserver()), watch)
                result = _load(run_engine, plan, stack, switch, watched, worker_image, load_jobs)
            watch.check("the load")  # removed in its last second: measuring would only fail
        finally:
            watch.stop()
            rotated = rotator.stop()
        switch.clear_all()
        after = measure_after_load(run_engine, stack, scenario, result, databases)
    finally:
        if isinstance(sys.exc_info()[1], StackChanged):
            _clear_what_is_left(switch)
        else:
            switch.clear_all()
    rotations = rotations_of(rotated, result.started_at)
    where = run_engine.load_path if load_jobs is None else cluster_load_path(plan.load.workers)
    return build_journal(run_id, scenario, plan, result, after, rotations, engine=engine, load=where)


def cluster_load_path(workers: int) -> str:
    """The journal's `environment.load` for a load run as pods in the stack's cluster."""
    return f"cluster ({workers} worker{'s' if workers != 1 else ''})" if workers else "cluster"


def generator_setup(cpus: tuple[int, ...]) -> dict:
    """Where the load generator ran, as the journal and the report state it."""
    machine = machine_cpus()
    setup: dict = {"host_cpus": len(machine)}
    if cpus:
        setup.update(cpus=list(cpus), stack_cpus=list(stack_cpus(cpus, machine)))
    return setup


def _load(
    run_engine: RunEngine,
    plan: ScenarioPlan,
    stack: StackHandle,
    switch: StackFaults,
    observer: RunObserver,
    worker_image: str | None,
    load_jobs: LoadJobs | None = None,
) -> LoadResult:
    if load_jobs is not None:  # pods address the entry point by its Service, through Toxiproxy
        pods = lambda config: ClusterLoadProcess(config, load_jobs)  # noqa: E731
        target = cluster_target(plan.entry_point)
        return run_load(plan.load, target, plan.timeline, switch, observer, stack.secrets, child_in=pods)
    target, launcher = stack.entry_url(plan.entry_point.name), None
    if plan.load.workers and plan.load.workers_on == "remote":  # the entry point where the workers reach it
        try:
            target = stack.workers_entry_url(plan.entry_point.name, plan.load.master_bind)
        except ValueError as error:  # api.run refuses this before the stack starts; the library's last word
            raise InputError(f"--workers-on remote: {error}") from None
    if plan.load.workers and plan.load.workers_on == "docker":
        if worker_image is None:
            raise RuntimeError("workers in containers need the worker image")
        # the workers are on the stack's network: the target by its service name there
        if run_engine.docker is None:  # validate refuses `workers_on: docker` elsewhere; the library's last word
            raise EnvironmentProblem("load workers in containers run on the stack's Docker network: Docker only")
        target = plan.entry_point.network_url
        launcher = WorkerContainers(run_engine.docker, plan.stack, worker_image)
    return run_load(plan.load, target, plan.timeline, switch, observer, stack.secrets, launcher=launcher)


def _clear_what_is_left(switch: StackFaults) -> None:
    """Revert the faults on what is left of a stack that lost part of itself: the removal is the
    error to report, and a fault on a removed Toxiproxy cannot be reverted anyway."""
    try:
        switch.clear_all()
    except Exception:
        pass


class _RotatingFromTheLoadStart(RunObserver):
    """Starts the credential rotation with the load, so that a ttl counts from the load's start
    (started before Locust, a Locust slow to start on a busy machine moved the first rotation of
    a 5 s ttl to 1 s into the load)."""

    def __init__(self, rotator: CredentialRotator):
        self.rotator = rotator

    def on_start(self, start) -> None:
        self.rotator.start()


class _EngineWatched(RunObserver):
    """Passes the hooks on, and ends the load within a second of the watch losing the engine or
    seeing part of the stack removed: EngineLost or StackChanged leaves run_load through its
    clean-up (faults reverted, Locust stopped)."""

    def __init__(self, observer: RunObserver, watch: RunWatch):
        self.observer, self.watch = observer, watch

    def on_start(self, start) -> None:
        self.observer.on_start(start)
        self._check()

    def on_second(self, points) -> None:
        self.observer.on_second(points)
        self._check()

    def _check(self) -> None:
        self.watch.check("the load")

    def on_fault(self, event) -> None:
        self.observer.on_fault(event)

    def on_end(self, result) -> None:
        self.observer.on_end(result)


def rotations_of(rotated: tuple[Rotated, ...], started_at: str) -> tuple[CredentialRotation, ...]:
    """The rotator's wall-clock record as seconds from load start (names only, never values)."""
    start = datetime.fromisoformat(started_at).timestamp()
    return tuple(
        CredentialRotation(
            t=round(r.at - start, 3),
            credential=r.credential,
            stubs=r.stubs,
            files=r.files,
            retired=None if r.retired_at is None else round(r.retired_at - start, 3),
            detail="; ".join(r.problems)[:500],
        )
        for r in rotated
    )


def measure_after_load(
    run_engine: RunEngine,
    stack: StackHandle,
    scenario: Scenario,
    result: LoadResult,
    databases: DatabaseEvidence | None = None,
) -> AfterLoad:
    # read before the probes, whose own queries are not the load's
    slowest = databases.collect() if databases is not None else {}
    load_start = time.monotonic() - result.duration
    run_start = datetime.fromisoformat(result.started_at)
    probes = run_probes(run_engine, stack, scenario, run_start, load_start)
    had_failures = any(point.failures for point in result.series)
    facts = run_engine.facts(stack.plan, stack.secrets.values(), load_start, with_logs=had_failures)
    return AfterLoad(
        probes,
        facts,
        toxiproxy_version(stack.toxiproxy_urls),
        tuple(stub_traffic(stack, stub_windows(scenario, result))),
        slowest,
    )


# A fault on a stub is in effect somewhere between the switch starting (its scheduled time) and
# returning (its actual time), and MockServer stamps calls in whole milliseconds: a window is
# counted from the apply's start to the removal's end, plus this, so no call the fault
# answered falls outside it.
WINDOW_SLACK = 0.05


def stub_windows(scenario: Scenario, result: LoadResult) -> dict[str, tuple[CallWindow, ...]]:
    """Each stub's fault windows in the stub's clock (naive UTC, as MockServer stamps calls), so
    its calls are counted apart per window and a fault's effect reads from the report."""
    start = datetime.fromisoformat(result.started_at).astimezone(UTC).replace(tzinfo=None)
    targets = {mode.name: mode.target for mode in scenario.profile.failure_modes}
    began = {(e.fault, e.actual): min(e.scheduled, e.actual) for e in result.faults if e.action == "applied"}
    windows: dict[str, list[CallWindow]] = {}
    for window in fault_windows(result.faults):
        if window.fault in targets:
            opened = began.get((window.fault, window.applied), window.applied) - WINDOW_SLACK
            windows.setdefault(targets[window.fault], []).append(
                CallWindow(
                    window.fault,
                    start + timedelta(seconds=opened),
                    None if window.removed is None else start + timedelta(seconds=window.removed + WINDOW_SLACK),
                )
            )
    return {service: tuple(found) for service, found in windows.items()}


def _environment(plan: ScenarioPlan, result: LoadResult, after: AfterLoad, engine: str, load: str) -> dict[str, object]:
    return {
        "images": after.containers.images,
        "stand_ins": after.containers.stand_ins,  # images that were offline stand-ins, and their versions
        "toxiproxy": after.toxiproxy_version,
        "locust": result.locust_version,
        "python": platform.python_version(),
        "envsim": __version__,
        "engine": engine,  # the backend the stack ran on, and its version
        "stack": plan.stack.stack,
        "target": plan.entry_point.name,
        # where it ran: the cores, pinned or not; in the cluster, the readings are the pods' own
        "load_generator": {"in_cluster": True} if load.startswith("cluster") else generator_setup(plan.load.cpus),
        "load": load,  # how the load reached the stack: "host", "host via port-forward", "cluster (2 workers)"
    }


def build_journal(
    run_id: str,
    scenario: Scenario,
    plan: ScenarioPlan,
    result: LoadResult,
    after: AfterLoad,
    rotations: tuple[CredentialRotation, ...] = (),
    *,
    engine: str = "docker",
    load: str = "host",
) -> Journal:
    return Journal(
        run_id=run_id,
        started_at=result.started_at,
        ended_at=result.ended_at,
        duration=result.duration,
        profile=scenario.profile.name,
        scenario=scenario.name,
        profile_digest=file_digest(scenario.profile.source),
        scenario_digest=file_digest(scenario.source),
        environment=_environment(plan, result, after, engine, load),
        planned_timeline=plan.timeline,
        checks=tuple(scenario.checks),
        series=result.series,
        faults=result.faults,
        probes=after.probes,
        container_events=after.containers.events,
        logs=after.containers.logs,
        rotations=rotations,
        worker_seconds=result.worker_seconds,
        worker_losses=result.worker_losses,
        allow_worker_loss=scenario.load.allow_worker_loss,
        generator=result.generator,
        interrupted=result.interrupted,
        error=result.error or _infrastructure_error(after.containers.broken_infrastructure),
        # lets checks name an endpoint either way: task name or "METHOD /path"
        extra={
            "endpoints": {t.name: f"{t.method} {t.path}" for t in scenario.load.requests},
            **({"stub_calls": list(after.stub_calls)} if after.stub_calls else {}),
            **after.databases,
        },
    )


def _infrastructure_error(broken: tuple[str, ...]) -> str | None:
    """The run's error when envsim's own containers stopped under it: the verdict names them
    instead of blaming the app for the requests that failed through them."""
    if not broken:
        return None
    return (
        f"envsim's own {', '.join(broken)} stopped during the run, so requests through it failed; "
        "run again, and if it recurs, look at that container's log"
    )
