"""The records a run journal is made of: plain frozen dataclasses, standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ALL_ENDPOINTS = ""  # the endpoint key of the aggregate over all requests


@dataclass(frozen=True)
class TimelineStep:
    """One fault window of a run, as planned: the plan, the scheduler and the journal share it."""

    fault: str
    start: float  # seconds from the start of load
    end: float  # when it is cleared; the end of load when the entry has no `for`


@dataclass(frozen=True)
class FailureReason:
    """Failed requests of one endpoint in one second that failed the same way."""

    kind: str  # "HTTP 502", or the exception's class name ("ConnectionRefusedError", "timeout")
    message: str  # truncated to 200 characters, secrets redacted
    count: int


@dataclass(frozen=True)
class StatsPoint:
    """Requests that *started* in [t, t + 1) seconds from load start, for one endpoint.

    A request counts in the second it started, whenever it ended (a request that outlives the
    client timeout is a failure of that second). `in_flight` and `oldest_in_flight` (seconds)
    are set on the ALL_ENDPOINTS aggregate only: requests started and not yet ended at t + 1;
    so is `started`, the requests begun in the second as counted when it ended (0 where
    unknown: a locustfile client envsim's start hook does not see, journals before it).
    """

    t: int
    endpoint: str  # "METHOD /path" or a task name; ALL_ENDPOINTS for the aggregate
    requests: int
    failures: int
    response_times: tuple[tuple[int, int], ...]  # (milliseconds, count), sorted by ms
    users: int = 0
    in_flight: int = 0
    oldest_in_flight: float = 0.0
    failure_reasons: tuple[FailureReason, ...] = ()  # per endpoint; empty on the aggregate
    started: int = 0


@dataclass(frozen=True)
class FaultEvent:
    fault: str
    action: str  # "applied" | "removed" | "failed"
    scheduled: float  # seconds from load start
    actual: float  # seconds from load start when the change had taken effect
    detail: str = ""


@dataclass(frozen=True)
class ProbeResult:
    """A measured invariant (SQL query, HTTP probe) for the check with the same id."""

    check_id: str
    t: float
    ok: bool  # the probe itself ran (query answered); the comparison is the verdict's job
    value: float | None = None
    detail: str = ""
    # what the probe read besides `value`: an http check's JSON fields (path -> value) and
    # an exec check's exit status ("exit") — so a saved journal can be judged again
    values: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        # a journal read back from JSON gives lists: keep the frozen record's shape
        object.__setattr__(self, "values", tuple((str(k), v) for k, v in (self.values or ())))


@dataclass(frozen=True)
class CredentialRotation:
    """A credential rotated during the run (its ttl): never its value."""

    t: float  # seconds from load start when the new value was in place everywhere
    credential: str
    stubs: tuple[str, ...] = ()  # stub services that accept the new value
    files: tuple[str, ...] = ()  # "container:path" secret files rewritten
    retired: float | None = None  # when the previous value stopped being accepted (after overlap)
    detail: str = ""  # what failed, if anything

    def __post_init__(self) -> None:
        object.__setattr__(self, "stubs", tuple(self.stubs))
        object.__setattr__(self, "files", tuple(self.files))


@dataclass(frozen=True)
class ContainerEvent:
    t: float
    service: str
    container: str
    action: str  # "die", "oom", "restart", "start", "pause", "unpause", ...
    detail: str = ""


@dataclass(frozen=True)
class LogExcerpt:
    service: str
    t: float
    lines: tuple[str, ...]
    # when each line was written, in seconds from load start (parallel to `lines`), so a
    # report can show the lines of a failed check's window; empty in older journals
    times: tuple[float, ...] = ()
    # which of the service's replicas wrote them (its container's number); None in older journals
    replica: int | None = None

    @classmethod
    def of_timed_lines(
        cls, service: str, t: float, timed: list[tuple[float, str]], load_start_wall: float, replica: int
    ) -> LogExcerpt:
        """From (wall time, line) pairs as the engines read them, times made relative to load start."""
        return cls(
            service,
            t,
            tuple(line for _, line in timed),
            tuple(round(when - load_start_wall, 3) for when, _ in timed),
            replica,
        )


@dataclass(frozen=True)
class WorkerSecond:
    """One Locust worker's share of one second of a distributed run."""

    worker: str  # its name: worker-N for envsim's own, the name `envsim worker` joined with
    t: int
    users: int
    requests: int  # started in this second
    cpu: float | None = None  # percent of one core, as Locust measures its own process


@dataclass(frozen=True)
class WorkerLoss:
    """A worker that went away while the load ran: its users' load was missing from then on."""

    worker: str
    t: float  # seconds from load start when the master noticed
    how: str  # "stopped sending heartbeats" (Locust's heartbeat check) | "left the run"
    # seconds from load start when its heartbeats came again: a process starved of CPU, not a
    # dead one, whose users ran on while Locust gave them to the other workers too; None: never
    back_at: float | None = None


@dataclass(frozen=True)
class GeneratorSample:
    """One second of the load generator's own health, sampled beside the load.

    A verdict that measured a saturated load generator measured the generator, not the app:
    these samples let the judge tell the two apart, also when a saved journal is judged again.
    """

    t: float  # seconds from load start at the end of the sampled second
    host_cpu: float  # the machine's busy share in percent (100: every core busy)
    # each Locust process as (role, pid, CPU used, time its main thread spent ready but waiting
    # for a core), both in percent of the second: "locust", or "master" and "worker-N". A generator starved of a
    # core on a busy machine waits instead of running, and measures that wait as latency too.
    processes: tuple[tuple[str, int, float, float], ...]
    asked_users: int = 0  # users the scenario asked for at t, its ramp included; 0: not known (a shape)
    # requests per second `load.rate` asked for at t (following the users asked); 0: no rate asked
    asked_rate: float = 0.0
    # requests started in the sampled second, all users together; None: not known (older journals)
    achieved_rate: int | None = None

    def __post_init__(self) -> None:
        readings = tuple((str(r), int(p), float(c), float(w)) for r, p, c, w in self.processes)
        object.__setattr__(self, "processes", readings)
