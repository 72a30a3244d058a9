"""The validated scenario: load, timeline and checks, built from a scenario file and its profile.

Times are seconds (float). The check types live with their kinds (`envsim.config.check_kinds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from envsim.config.check_kinds import Check
from envsim.config.profile_model import Profile
from envsim.config.template import Template


@dataclass(frozen=True)
class LoadTask:
    name: str
    method: str
    path: str
    weight: int = 1
    json: object = None
    headers: tuple[tuple[str, Template], ...] = ()
    expect_status: tuple[int, ...] = ()  # empty: any 2xx/3xx is a success
    timeout: float | None = None  # client timeout in seconds; None: the load's timeout
    # declarative flows (see docs/format.md): `path` and `json` show `${var.NAME}` as written
    path_template: Template | None = None  # the path when it uses variables
    json_templates: tuple[tuple[tuple[str | int, ...], Template], ...] = ()  # strings in `json` using variables
    vars: tuple[LoadVar, ...] = ()  # drawn anew each time the task runs
    capture: tuple[tuple[str, str], ...] = ()  # (variable, "json.a.0.b" | "header.X-Name")
    steps: tuple[LoadTask, ...] = ()  # a sequence: these requests in order (method and path unused)

    @property
    def requests(self) -> tuple[LoadTask, ...]:
        """The requests this task sends, each counted under its own name."""
        return self.steps if self.steps else (self,)


@dataclass(frozen=True)
class LoadVar:
    """A per-user variable: `uuid`, `counter` (start), `int` (low, high), `choice` (values), `csv`."""

    name: str
    kind: Literal["uuid", "counter", "int", "choice", "csv"]
    args: tuple[Any, ...] = ()  # counter: (start,); int: (low, high); choice: the values; csv: the rows (dicts)
    path: Path | None = None  # csv: the file


@dataclass(frozen=True)
class LoadStage:
    """A ramp: reach `users` at `spawn_rate`, hold until `duration` from the stage's start."""

    duration: float
    users: int
    spawn_rate: float


@dataclass(frozen=True)
class LoadSpec:
    users: int
    spawn_rate: float
    duration: float
    target: str | None = None  # service name; default: the first service that publishes a port
    target_port: str | None = None
    stages: tuple[LoadStage, ...] = ()
    tasks: tuple[LoadTask, ...] = ()
    locustfile: Path | None = None
    wait: tuple[float, float] = (0.0, 0.0)  # seconds between a user's tasks (min, max)
    workers: int = 0  # 0: run in one process; N: Locust master + N workers
    allow_worker_loss: bool = False  # a worker lost mid-run leaves the verdict to the checks
    # where the workers run: "local" processes, "docker" containers on the stack's network,
    # or "remote" (they join with `envsim worker`)
    workers_on: str = "local"
    master_bind: str = "127.0.0.1"  # the address the master listens on (workers must reach it)
    master_port: int = 0  # 0: a free port (local workers); remote workers need a known one
    join_timeout: float = 60.0  # seconds to wait for every worker to join
    # client timeout (seconds) of every request: a request still unanswered then is a failure
    timeout: float = 10.0
    vars: tuple[LoadVar, ...] = ()  # drawn once per user
    # cores the Locust processes run on (the stack's containers get the others); empty: unpinned
    cpus: tuple[int, ...] = ()
    # task runs per second of the whole load when all its users run (`load.rate`); None: the
    # users run their tasks one after another, `wait` apart
    rate: float | None = None

    def users_at(self, t: float) -> int:
        """The users the load asks for `t` seconds after it began: each stage (or the load's
        single level) ramps from the previous level at its spawn rate, as Locust does."""
        levels = self.stages or (LoadStage(self.run_length, self.users, self.spawn_rate),)
        level, start = 0.0, 0.0
        for stage in levels:
            ramp = max(stage.spawn_rate, 1e-9) * max(0.0, t - start)
            step = min(ramp, abs(stage.users - level))
            current = level + step if stage.users >= level else level - step
            if t < start + stage.duration or stage is levels[-1]:
                return int(current)
            level, start = float(stage.users), start + stage.duration
        return int(level)

    @property
    def peak_users(self) -> int:
        """The most users the load asks for at any moment: the rate is asked of that many."""
        return max((stage.users for stage in self.stages), default=self.users) or self.users

    @property
    def user_rate(self) -> float | None:
        """Task runs per second each user paces itself to; None without a rate."""
        return None if self.rate is None else self.rate / max(1, self.peak_users)

    def requests_asked_at(self, t: float) -> float:
        """Requests per second the rate asks for `t` seconds after load began: it follows the
        users asked (a ramp, a smaller stage), and a sequence's steps each count. 0 without a rate."""
        if self.user_rate is None:
            return 0.0
        return self.user_rate * self.users_at(t) * self.requests_per_task_run

    @property
    def requests_per_task_run(self) -> float:
        """Requests one task run sends on average, the tasks' weights considered."""
        weights = sum(task.weight for task in self.tasks)
        if not weights:
            return 1.0
        return sum(task.weight * len(task.requests) for task in self.tasks) / weights

    @property
    def requests(self) -> tuple[LoadTask, ...]:
        """Every named request of the declarative tasks (a sequence's steps in its place)."""
        return tuple(r for task in self.tasks for r in task.requests)

    @property
    def run_length(self) -> float:
        """Seconds of load: `duration` (the last stage holds until then); with stages and no
        duration, the sum of the stages."""
        if self.duration > 0 or not self.stages:
            return float(self.duration)
        return float(sum(stage.duration for stage in self.stages))


@dataclass(frozen=True)
class TimelineEntry:
    at: float
    fault: str
    duration: float | None = None  # None: until the end of the run


@dataclass(frozen=True)
class Scenario:
    name: str
    source: Path
    root: Path
    profile_ref: str  # as written: a profile name or a path
    profile: Profile
    load: LoadSpec
    timeline: tuple[TimelineEntry, ...] = ()
    checks: tuple[Check, ...] = ()
    reports_dir: Path | None = None
    report_formats: tuple[str, ...] = ("json", "junit", "html", "markdown")
