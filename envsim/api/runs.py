"""Scenario runs: stack up if needed, load and faults, journal, verdict, reports."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from envsim.api.backends import EngineChoice, image_engine
from envsim.api.loading import ScenarioLike, WorkerOptions, load_scenario
from envsim.api.run_outputs import write_run_outputs
from envsim.api.stack import Stack, attach, running, up
from envsim.config.backends import (
    CPUS_REFUSED,
    LOAD_ON_CLUSTER_REFUSED,
    LOAD_ON_CLUSTER_WORKERS_REFUSED,
    WORKERS_IN_CONTAINERS_REFUSED,
)
from envsim.config.scenario_model import Scenario
from envsim.engine.apply import ApplyProgress
from envsim.engine.backend import DOCKER, KUBERNETES, Backend
from envsim.engine.engine_watch import engine_gone, engine_loss_named
from envsim.engine.kubernetes.load_jobs import LoadJobs
from envsim.engine.local_address import checked_publish_address
from envsim.engine.stack_lock import stack_lock
from envsim.engine.state import PHASE_RUN, StackState, state_root
from envsim.errors import EnvironmentProblem, InputError, Interrupted
from envsim.images.worker_image import ensure_worker_image
from envsim.interrupts import Received, uninterrupted
from envsim.journal import Journal, JournalChecksError
from envsim.plan.kubernetes_load import cluster_load_plan
from envsim.plan.publish import LOOPBACK, workers_entry_host
from envsim.plan.scenario import plan_scenario
from envsim.plan.stack import safe_name
from envsim.reports import FORMATS, write_reports
from envsim.run.progress import RunObserver
from envsim.run.scenario_run import run_scenario
from envsim.verdict import Verdict
from envsim.verdict import judge as judge_journal

DEFAULT_REPORTS_DIR = "reports"
LOAD_ON_HOST, LOAD_ON_CLUSTER = "host", "cluster"  # where Locust runs: this machine, or the stack's cluster


@dataclass(frozen=True)
class RunResult:
    journal: Journal
    verdict: Verdict
    journal_path: Path | None
    report_paths: tuple[Path, ...]
    # why the journal or some reports were not written (a full disk); the verdict stands
    write_problem: EnvironmentProblem | None = None

    @property
    def passed(self) -> bool:
        return self.verdict.passed and not self.journal.interrupted

    @property
    def inconclusive(self) -> bool:
        """Nothing failed, but the load generator measured itself in a check (exit 4)."""
        return bool(self.verdict.inconclusive) and not self.journal.interrupted


def run(
    scenario: ScenarioLike,
    *,
    name: str | None = None,
    bring_up: bool = True,
    keep: bool = False,
    pull: bool = True,
    users: int | None = None,
    duration: str | float | None = None,
    workers: WorkerOptions | None = None,
    generator_cpus: str | tuple[int, ...] | None = None,
    reports_dir: Path | None = None,
    formats: Iterable[str] | None = None,
    write: bool = True,
    observer: RunObserver | None = None,
    progress: ApplyProgress | None = None,
    cancel: threading.Event | None = None,
    env: Mapping[str, str] | None = None,
    engine: EngineChoice | None = None,
    load_on: str | None = None,
    publish_address: str | None = None,
) -> RunResult:
    """Run a scenario and judge it.

    The stack is used when it runs already; otherwise it is brought up (unless `bring_up` is
    False: EnvironmentProblem) and removed afterwards unless `keep`. With `write`, the journal
    and reports go to `reports_dir` (default: the scenario's `reports.dir`, else
    `reports/<scenario name>/` at the scenario's repo root; see `reports_dir_for`).
    Setting `cancel` stops start-up, or the load at its next second (faults reverted; the
    journal is marked interrupted). `engine` is where the stack runs (default: ENVSIM_ON, else
    Docker); what a run cannot do there is refused while loading (InputError, located). `load_on`
    is where Locust runs: `host` (default) or `cluster` (pods); `publish_address`: see _StackStart."""
    env = dict(os.environ if env is None else env)
    engine = engine or EngineChoice()
    loaded = _loaded_for(scenario, engine.name(env), env, users, duration, workers, generator_cpus)
    in_cluster = _load_in_cluster(load_on, engine.name(env), loaded)
    plan = plan_scenario(loaded, name)
    start = _StackStart(bring_up, pull, progress, cancel, _checked_address(publish_address))
    backend = engine.open(env)
    late = Received()  # signals that arrived while the stack was being removed
    with _in_use_by_this_run(plan.stack.stack, backend, env):
        stack = _stack_for_run(loaded, plan, name, start, env, backend)
        try:
            observer = _Cancellable(observer or RunObserver(), cancel) if cancel is not None else observer
            journal = _journal_of_run(stack, loaded, plan, observer, progress, env, in_cluster)
        finally:
            # with the engine gone, removing would only fail (or wait out timeouts) and hide why
            if not stack.keep and not keep and not engine_gone(sys.exc_info()[1]):
                with uninterrupted() as late:  # a half-removed stack is worse than a late exit
                    stack.down()
    return _judged(journal, loaded, reports_dir, formats, write=write, late=bool(late))


def _journal_of_run(
    stack: Stack, loaded: Scenario, plan, observer, progress, env: Mapping[str, str], in_cluster: bool
) -> Journal:
    """Drive the load and faults on the stack (workers in containers, or a load in the cluster,
    get their image first)."""
    state = StackState(state_root(env), plan.stack.stack)
    image = ensure_worker_image(stack.engine, progress) if loaded.load.workers_on == "docker" else None
    jobs = _load_jobs(stack, plan, loaded, progress) if in_cluster else None
    on, version = stack.backend.run_engine(stack.handle), stack.backend.version()
    return run_scenario(
        on, stack.handle, loaded, plan, observer, state=state, engine=version, worker_image=image, load_jobs=jobs
    )


def _load_in_cluster(load_on: str | None, backend: str, loaded: Scenario) -> bool:
    """Whether the load runs as pods in the stack's cluster; InputError where it cannot."""
    if load_on in (None, LOAD_ON_HOST):
        return False
    if load_on != LOAD_ON_CLUSTER:
        raise InputError(f"--load-on: {load_on!r} is not one of {LOAD_ON_HOST}, {LOAD_ON_CLUSTER}")
    if backend != KUBERNETES:
        raise InputError(f"--load-on cluster: {LOAD_ON_CLUSTER_REFUSED}")
    if loaded.load.workers and loaded.load.workers_on != "local":
        raise InputError(f"--load-on cluster: {LOAD_ON_CLUSTER_WORKERS_REFUSED}")
    return True


def _load_jobs(stack: Stack, plan, loaded: Scenario, progress) -> LoadJobs:
    """The run's Locust Jobs, their image built here and brought to the cluster first."""
    from envsim.engine.kubernetes.backend import KubernetesBackend

    backend = stack.backend
    if not isinstance(backend, KubernetesBackend):  # _load_in_cluster refused it; the library's last word
        raise EnvironmentProblem("the load runs in the cluster only on Kubernetes")
    reference = backend.prepare_load_image(ensure_worker_image(image_engine(backend), progress), progress)
    return LoadJobs(backend.cluster, cluster_load_plan(plan.stack, reference, loaded.load.workers))


def _loaded_for(scenario: ScenarioLike, backend: str, env: Mapping[str, str], *overrides) -> Scenario:
    """The scenario with the command's overrides (users, duration, workers, generator cpus),
    refused where a run on `backend` cannot do what it asks."""
    users, duration, workers, generator_cpus = overrides
    loaded = load_scenario(
        scenario,
        env=env,
        users=users,
        duration=duration,
        workers=workers,
        generator_cpus=generator_cpus,
        backend=backend,
    )
    if loaded.load.cpus and backend != DOCKER:  # the file's load.cpus is refused while loading
        raise InputError(f"--generator-cpus: {CPUS_REFUSED}")
    if loaded.load.workers_on == "docker" and backend != DOCKER:
        raise InputError(f"--workers-on docker: {WORKERS_IN_CONTAINERS_REFUSED}")
    return loaded


def _judged(
    journal: Journal,
    loaded: Scenario,
    reports_dir: Path | None,
    formats: Iterable[str] | None,
    *,
    write: bool,
    late: bool,
) -> RunResult:
    """The verdict on a finished run, with its journal and reports written when asked."""
    verdict = judge_journal(journal)
    if not write:
        return RunResult(journal, verdict, None, ())
    out_dir = reports_dir_for(loaded, reports_dir)
    # a full disk must not cost the verdict: the caller shows it, then the problem
    outputs = write_run_outputs(journal, verdict, out_dir, formats or loaded.report_formats)
    if late:
        raise Interrupted(
            f"interrupted while removing the stack: it is removed; the journal and reports are in {out_dir}"
        )
    return RunResult(journal, verdict, outputs.journal_path, outputs.report_paths, outputs.problem)


@contextlib.contextmanager
def _in_use_by_this_run(stack: str, backend: Backend, env: Mapping[str, str]) -> Iterator[None]:
    """The state directory's lock (one command at a time) and the engine-side hold (any
    envsim's `down` leaves the stack alone) for the run; the Docker engine going away is named."""
    with (
        stack_lock(state_root(env), stack, "run"),
        engine_loss_named(stack, "run") if backend.name == DOCKER else contextlib.nullcontext(),
        backend.hold(stack, "run"),
    ):
        yield


def reports_dir_for(scenario, reports_dir: str | Path | None = None) -> Path:
    """Where a run of `scenario` writes: `reports_dir` (--reports), else the scenario's
    `reports.dir`, else `<repo root>/reports/<scenario name>/`.

    The default never depends on the working directory, and sits beside the profiles rather
    than in an app's source tree; a build context that still contains it (`build: .` at the
    repo root) leaves it out of its digest (envsim.images.builder.OWN_OUTPUT_PATTERNS), so
    writing reports never causes a rebuild.
    """
    if reports_dir:
        return Path(reports_dir)
    if scenario.reports_dir:
        return Path(scenario.reports_dir)
    return Path(scenario.root) / DEFAULT_REPORTS_DIR / safe_name(scenario.name)


class _Cancellable(RunObserver):
    """Passes the hooks on; once `cancel` is set, the next second (or the start) stops the load.

    The load runner takes a KeyboardInterrupt raised in its loop as an interruption: faults
    are reverted, Locust stopped and the journal marked interrupted, as on Ctrl-C.
    """

    def __init__(self, observer: RunObserver, cancel: threading.Event):
        self.observer, self.cancel = observer, cancel

    def _check(self) -> None:
        if self.cancel.is_set():
            raise KeyboardInterrupt

    def on_start(self, start) -> None:
        self.observer.on_start(start)
        self._check()

    def on_second(self, points) -> None:
        self.observer.on_second(points)
        self._check()

    def on_fault(self, event) -> None:
        self.observer.on_fault(event)

    def on_end(self, result) -> None:
        self.observer.on_end(result)


def _checked_address(publish_address: str | None) -> str | None:
    return None if publish_address is None else checked_publish_address(publish_address)


@dataclass(frozen=True)
class _StackStart:
    """How a run brings its stack up when it is not running. `publish_address`: where it
    publishes the entry points (see `up`); a running stack must have been published there.
    Workers joining from elsewhere (`workers_on: remote`) are sent the entry point at the
    address they reach, and a stack they cannot reach is refused before the load (InputError)."""

    bring_up: bool
    pull: bool
    progress: ApplyProgress | None
    cancel: threading.Event | None
    publish_address: str | None  # checked to be this machine's (checked_publish_address)


def _stack_for_run(scenario: Scenario, plan, name, start: _StackStart, env, backend: Backend) -> Stack:
    """The running stack (kept afterwards), or one brought up for this run (removed after);
    InputError when the load's workers from elsewhere could not reach its entry points."""
    wanted = start.publish_address
    if running(plan.stack, backend):
        stack = attach(name, profile=scenario.profile, env=env, backend=backend)
        _check_published_for_run(stack, wanted, scenario)
        return stack
    if not start.bring_up:
        raise EnvironmentProblem(
            f"stack {plan.stack.stack} is not running and --no-up was given",
            hint=f"start it with `envsim up {scenario.profile.name}`",
        )
    _check_workers_reach(wanted or LOOPBACK, scenario)
    return up(
        scenario.profile,
        name,
        keep=False,
        pull=start.pull,
        progress=start.progress,
        cancel=start.cancel,
        env=env,
        phase=PHASE_RUN,
        backend=backend,
        publish_address=wanted,
    )


def _check_published_for_run(stack: Stack, wanted: str | None, scenario: Scenario) -> None:
    published = stack.handle.publish_address
    if wanted is not None and wanted != published:
        raise InputError(
            f"--publish-address {wanted}: stack {stack.name} runs with its entry points published on {published}; "
            f"`envsim up {scenario.profile.name} --publish-address {wanted}` publishes them there "
            "(or leave the option out to use them where they are)"
        )
    _check_workers_reach(published, scenario)


def _check_workers_reach(publish_address: str, scenario: Scenario) -> None:
    """Workers joining from elsewhere must reach the entry points (see workers_entry_host)."""
    load = scenario.load
    if load.workers and load.workers_on == "remote":
        try:
            workers_entry_host(publish_address, load.master_bind)
        except ValueError as error:
            raise InputError(f"--workers-on remote: {error}") from None


def judge(journal: Journal | str | Path) -> Verdict:
    """The verdict of a journal (or of a journal file) by the checks it carries."""
    return judge_journal(journal if isinstance(journal, Journal) else read_journal(journal))


def read_journal(path: str | Path) -> Journal:
    """A saved journal; InputError with a clear message when it is missing or malformed."""
    path = Path(path)
    try:
        return Journal.read(path)
    except JournalChecksError as error:
        raise InputError(f"{path}: the journal's checks cannot be read: {_short(error)}") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such journal file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the journal: {error}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        # json.JSONDecodeError is a ValueError; TypeError/KeyError come from missing or unknown fields
        raise InputError(f"{path}: not a valid envsim journal: {_short(error)}") from None


def report(journal: Journal, verdict: Verdict, out_dir: Path, formats: Iterable[str] = tuple(FORMATS)) -> list[Path]:
    """Write the reports of a judged journal; EnvironmentProblem when the directory is unwritable."""
    try:
        return write_reports(journal, verdict, Path(out_dir), formats)
    except OSError as error:
        raise EnvironmentProblem(f"cannot write reports to {out_dir}: {error}") from None


def _short(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
