"""The validated model: frozen dataclasses built from profile and scenario files.

Everything after the loader works on these types only. Times are seconds (float),
fractions are in [0, 1], sizes are bytes. Secret values are never stored here: a value that
mentions a secret is a `Template` whose parts name it, rendered only at apply time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping


@dataclass(frozen=True)
class SecretRef:
    name: str


@dataclass(frozen=True)
class VarRef:
    """`${var.NAME}` in a load request: a per-user value, filled in by the load generator."""

    name: str


@dataclass(frozen=True)
class Template:
    """A string value with `${secret.NAME}` references left symbolic.

    `${env.VAR:-default}` is resolved while loading (from the environment passed in), so
    only secrets remain.
    """

    parts: tuple[str | SecretRef, ...]

    @classmethod
    def literal(cls, text: str) -> "Template":
        return cls((text,))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if isinstance(p, SecretRef))

    @property
    def vars(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts if isinstance(p, VarRef))

    def redacted(self) -> str:
        return "".join(p if isinstance(p, str) else f"${{var.{p.name}}}" if isinstance(p, VarRef)
                       else f"<secret:{p.name}>" for p in self.parts)

    def render(self, secrets: Mapping[str, str]) -> str:
        """Secrets filled in; `${var.NAME}` references stay (see `with_secrets`)."""
        return "".join(p if isinstance(p, str) else secrets[p.name] if isinstance(p, SecretRef)
                       else f"${{var.{p.name}}}" for p in self.parts)

    def with_secrets(self, secrets: Mapping[str, str]) -> tuple[str | VarRef, ...]:
        """The parts with secrets filled in: text and the variables left for the load generator."""
        parts: list[str | VarRef] = []
        for part in self.parts:
            text = secrets[part.name] if isinstance(part, SecretRef) else part
            if isinstance(text, str) and parts and isinstance(parts[-1], str):
                parts[-1] += text
            else:
                parts.append(text)
        return tuple(parts)


# --------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class BuildSpec:
    context: Path  # absolute, inside the repo
    dockerfile: str = "Dockerfile"  # relative to context
    args: tuple[tuple[str, str], ...] = ()
    # replaces the Dockerfile's base image in a build copy (envsim.config.dockerfile says which FROMs)
    base: str | None = None


@dataclass(frozen=True)
class HealthCheck:
    kind: Literal["http", "tcp", "cmd"]
    # http: the path ("/healthz"); tcp: unused (""); cmd: the command as a list
    path: str = ""
    command: tuple[str, ...] = ()
    port: str | None = None  # named port; default: the service's first port
    interval: float = 1.0
    timeout: float = 5.0
    start_period: float = 60.0  # how long to wait in total before declaring unhealthy


@dataclass(frozen=True)
class Resources:
    cpus: float | None = None
    memory: int | None = None  # bytes


@dataclass(frozen=True)
class SqlSeed:
    file: Path  # absolute, inside the repo


@dataclass(frozen=True)
class ColumnGenerator:
    """How to generate one column: kind is one of sequence, int, float, choice, text, timestamp, uuid."""

    kind: str
    options: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class RowsSeed:
    table: str
    count: int
    columns: tuple[tuple[str, ColumnGenerator], ...]


SeedStep = SqlSeed | RowsSeed


@dataclass(frozen=True)
class StubRoute:
    method: str
    path: str
    status: int = 200
    body: object = None  # JSON-able
    headers: tuple[tuple[str, str], ...] = ()  # response headers
    # request matching beyond method and path: query and header values are exact
    match_query: tuple[tuple[str, str], ...] = ()
    match_headers: tuple[tuple[str, str], ...] = ()
    match_json: object = None  # the request body contains at least these fields


@dataclass(frozen=True)
class StubVersioning:
    header: str | None  # the version travels in this header...
    current: str
    deprecated: tuple[str, ...] = ()
    prefix: bool = False  # ...and/or as the first path segment (/2024-06/charges)
    gone_status: int = 410  # what a deprecated version gets
    gone_body: object = None
    sunset: str | None = None  # Sunset header on deprecated answers (an HTTP date)


@dataclass(frozen=True)
class StubAuth:
    """Bearer token (Authorization header) or API key (in a header or query parameter)."""

    kind: Literal["bearer", "api_key"]
    value: Template
    header: str | None = None  # api_key: the header carrying it
    query: str | None = None  # api_key: or the query parameter
    realm: str = "api"


@dataclass(frozen=True)
class StubLatency:
    """fixed: a; uniform: a..b; log_normal: median a, p99 b (seconds)."""

    kind: Literal["fixed", "uniform", "log_normal"]
    a: float
    b: float = 0.0


@dataclass(frozen=True)
class StubRateLimit:
    requests: int
    per: float  # seconds


@dataclass(frozen=True)
class StubSpec:
    """A third-party API, virtualized by a stub engine."""

    routes: tuple[StubRoute, ...] = ()
    openapi: Path | None = None
    bearer: Template | None = None
    versioning: StubVersioning | None = None
    latency_p50: float | None = None
    latency_p99: float | None = None
    port: int = 8080
    auth: StubAuth | None = None  # `bearer` above stays for readers of bearer-only stubs
    latency: StubLatency | None = None
    rate_limit: StubRateLimit | None = None


@dataclass(frozen=True)
class Service:
    name: str
    image: str | None = None
    build: BuildSpec | None = None
    stub: StubSpec | None = None
    command: tuple[str, ...] | None = None
    env: tuple[tuple[str, Template], ...] = ()
    ports: tuple[tuple[str, int], ...] = ()  # (port name, container port), in file order
    # (port name, fixed host port or None for a free one); bound on 127.0.0.1 only
    publish: tuple[tuple[str, int | None], ...] = ()
    health: HealthCheck | None = None
    depends_on: tuple[str, ...] = ()
    replicas: int = 1
    # how replicas share the entry point: "request" (an HTTP balancer spreads each request,
    # like production's), "connection" (each TCP connection sticks to one replica), or None:
    # "request" for HTTP services (an http health check or a port named http), else "connection"
    balance: str | None = None
    resources: Resources = field(default_factory=Resources)
    seed: tuple[SeedStep, ...] = ()
    # secrets mounted as read-only files: (secret name, path inside the container)
    secret_files: tuple[tuple[str, str], ...] = ()

    def port(self, name: str | None = None) -> int | None:
        if not self.ports:
            return None
        if name is None:
            return self.ports[0][1]
        return dict(self.ports).get(name)


@dataclass(frozen=True)
class Credential:
    name: str
    generate: Literal["password", "token", "hex", "value"]
    length: int = 24
    ttl: float | None = None  # seconds; rotates, old value rejected after ttl
    value: Template | None = None  # generate == "value": taken from the environment
    overlap: float = 0.0  # seconds a rotated-out value is still accepted by stubs


@dataclass(frozen=True)
class Toxic:
    """One Toxiproxy toxic: type is latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data."""

    type: str
    attributes: tuple[tuple[str, int], ...]
    stream: Literal["upstream", "downstream"] = "downstream"
    toxicity: float = 1.0


@dataclass(frozen=True)
class HttpErrorFault:
    """HTTP-level errors a stub returns at a rate: status -> fraction of requests."""

    rates: tuple[tuple[int, float], ...]
    retry_after: float | None = None
    drop: float | None = None  # fraction of connections closed without an answer
    slow_body: tuple[int, float] | None = None  # (chunk bytes, seconds between chunks)
    outage: bool = False  # every request answered 503


@dataclass(frozen=True)
class FailureMode:
    name: str
    target: str
    toxics: tuple[Toxic, ...] = ()
    down: bool = False  # the proxy refuses connections
    container: Literal["kill", "stop", "restart", "pause"] | None = None
    http_errors: HttpErrorFault | None = None


@dataclass(frozen=True)
class LoadDefaults:
    users: int | None = None
    spawn_rate: float | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    source: Path  # the profile file (absolute)
    root: Path  # the repo root paths may not escape
    services: tuple[Service, ...]
    credentials: tuple[Credential, ...] = ()
    load: LoadDefaults = field(default_factory=LoadDefaults)
    failure_modes: tuple[FailureMode, ...] = ()

    def service(self, name: str) -> Service:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    def failure_mode(self, name: str) -> FailureMode:
        for mode in self.failure_modes:
            if mode.name == name:
                return mode
        raise KeyError(name)


# --------------------------------------------------------------------------- scenario


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
    vars: tuple["LoadVar", ...] = ()  # drawn anew each time the task runs
    capture: tuple[tuple[str, str], ...] = ()  # (variable, "json.a.0.b" | "header.X-Name")
    steps: tuple["LoadTask", ...] = ()  # a sequence: these requests in order (method and path unused)

    @property
    def requests(self) -> tuple["LoadTask", ...]:
        """The requests this task sends, each counted under its own name."""
        return self.steps if self.steps else (self,)


@dataclass(frozen=True)
class LoadVar:
    """A per-user variable: `uuid`, `counter` (start), `int` (low, high), `choice` (values), `csv`."""

    name: str
    kind: Literal["uuid", "counter", "int", "choice", "csv"]
    args: tuple = ()  # counter: (start,); int: (low, high); choice: the values; csv: the rows (dicts)
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
    # client timeout (seconds) of every request: a request still unanswered then is a failure
    timeout: float = 10.0
    vars: tuple[LoadVar, ...] = ()  # drawn once per user

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


Comparator = Literal["below", "above", "equals", "at_most", "at_least"]


@dataclass(frozen=True)
class MetricCheck:
    """A bound on a measured metric: p50/p95/p99/avg/max latency (seconds), error_rate, rps."""

    metric: str
    comparator: Comparator
    bound: float
    endpoint: str | None = None  # task name or "METHOD /path"; None: all requests
    phase: str = "run"  # "run", "baseline", "during:FAULT", "after:FAULT"
    label: str = ""  # as the user wrote it, for reports


@dataclass(frozen=True)
class RecoveryCheck:
    fault: str
    bound: float  # seconds
    label: str = ""
    comparator: Comparator = "below"


@dataclass(frozen=True)
class SqlInvariant:
    service: str
    query: str
    comparator: Comparator
    # what to compare against: a number, or a count from the run ("successes"/"failures" of an endpoint)
    expected: float | None = None
    expected_count_of: tuple[str, str] | None = None  # ("successes", "POST /orders")
    tolerance: float = 0.0  # absolute
    label: str = ""


@dataclass(frozen=True)
class HttpInvariant:
    service: str
    method: str
    path: str
    port: str | None = None
    expect_status: int = 200
    label: str = ""
    # a condition on the JSON answer's fields (envsim.config.expr), e.g. "sold + stock == 100"
    expect: str | None = None


@dataclass(frozen=True)
class RedisInvariant:
    """A read-only redis-cli command in the service's container, its number compared like sql."""

    service: str
    command: tuple[str, ...]  # ("SCARD", "sessions"); the command name is one of REDIS_READ_COMMANDS
    comparator: Comparator
    expected: float | None = None
    expected_count_of: tuple[str, str] | None = None
    tolerance: float = 0.0
    label: str = ""


REDIS_READ_COMMANDS = ("GET", "HGET", "SCARD", "LLEN", "ZCARD", "EXISTS", "STRLEN", "HLEN", "DBSIZE")


@dataclass(frozen=True)
class CommandInvariant:
    """A read-only command (an argument list) run in the service's container: its exit status
    and, with a comparator, the number its output starts with."""

    service: str
    command: tuple[str, ...]
    exit_code: int | None = 0  # None: any exit status
    comparator: Comparator | None = None  # None: the exit status only
    expected: float | None = None
    expected_count_of: tuple[str, str] | None = None
    tolerance: float = 0.0
    label: str = ""


@dataclass(frozen=True)
class StubInvariant:
    """What the app sent a stub, read from the stub's request journal after the load: the
    number of calls (to a route, answered with given statuses) compared with a number or a
    task's count; or a header on every call; or backoff honoured after 429/5xx answers."""

    service: str
    method: str | None = None  # with `path`: one route ("POST", "/v1/charges/{id}"); None: every call
    path: str | None = None
    statuses: tuple[int, ...] = ()  # only calls answered with one of these
    comparator: Comparator | None = None  # the count of calls
    expected: float | None = None
    expected_count_of: tuple[str, str] | None = None
    tolerance: float = 0.0
    header: str | None = None  # present on every call
    backoff_after: tuple[int, ...] = ()  # backoff: after these statuses...
    backoff_at_least: float = 0.0  # ...the next call with the same key waits Retry-After, at least this
    backoff_key: str = "body"  # "header.NAME" or "body"
    label: str = ""

    @property
    def kind(self) -> str:
        return "backoff" if self.backoff_after else "header" if self.header else "count"

    @property
    def request(self) -> str:
        return f"{self.method} {self.path}" if self.method and self.path else ""


Check = MetricCheck | RecoveryCheck | SqlInvariant | HttpInvariant | RedisInvariant | CommandInvariant | StubInvariant


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
