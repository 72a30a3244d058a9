"""The validated profile: frozen dataclasses built from a profile file.

Everything after the loader works on these types only. Times are seconds (float),
fractions are in [0, 1], sizes are bytes. Secret values are never stored here (see
`envsim.config.template`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from envsim.config.fault_model import FailureMode
from envsim.config.template import Template


@dataclass(frozen=True)
class BuildSpec:
    context: Path  # absolute, inside the repo
    dockerfile: str = "Dockerfile"  # relative to context
    args: tuple[tuple[str, str], ...] = ()
    # replaces the Dockerfile's base image in a build copy (envsim.config.dockerfile says which FROMs)
    base: str | None = None


@dataclass(frozen=True)
class HealthCheck:
    kind: Literal["http", "tcp", "cmd", "running"]
    # http: the path ("/healthz"); tcp: unused (""); cmd: the command as a list; running: no probe
    path: str = ""
    command: tuple[str, ...] = ()
    port: str | None = None  # named port; default: the service's first port
    interval: float = 1.0
    timeout: float = 5.0
    start_period: float = 60.0  # how long to wait in total before declaring unhealthy
    running_for: float = 0.0  # running: how long the container must keep running to count as started


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
    create: str | None = None  # SQL written inline that creates the table first


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
    # (port name, fixed host port or None for a free one); on 127.0.0.1 unless up --publish-address
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
    # PostgreSQL statement statistics during runs: None means the default (envsim.plan.statements)
    statements: bool | None = None

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

    @property
    def rotates(self) -> bool:
        """Whether runs rotate it: a generated value with a ttl (the schema refuses a ttl on a `value`)."""
        return bool(self.ttl) and self.generate != "value"


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
