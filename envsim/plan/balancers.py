"""HAProxy in front of a service: request balancing for replicas, and HTTP faults on real services.

Production load balancers spread requests, not connections. Toxiproxy forwards TCP, so a
client that keeps its connection (every Locust user, most HTTP clients) would stay on one
replica, and state kept in one replica's memory would look shared. For such services an
HTTP balancer takes the service's upstream name and spreads each request over the replicas,
which answer under a name of their own.

A real (non-stub) HTTP service that any failure mode of the profile gives an HTTP fault gets
the same HAProxy in front (with one replica when it has one), holding each such failure
mode's rules behind a switch that the engine flips over HAProxy's runtime API. It is planned
from the profile, not from one scenario, because the stack serves every scenario and
`envsim fault apply` of the profile's failure modes alike: the same profile must give the same
stack.
"""

from __future__ import annotations

from dataclasses import dataclass

from envsim.config.fault_kinds.http import HttpErrorFault, http_fault
from envsim.config.profile_model import Profile, Service

REPLICA_ALIAS_PREFIX = "envsim-replica-"
RUNTIME_API_PORT = 9999  # HAProxy's runtime API in a front with faults, published on 127.0.0.1
ALT_RUNTIME_API_PORT = 9998  # when the service itself listens on the first


@dataclass(frozen=True)
class FrontFault:
    """One failure mode's HTTP fault in a front: its rules, off until its switch is on."""

    switch: str  # the failure mode's name: its key in the front's fault map
    fault: HttpErrorFault


@dataclass(frozen=True)
class BalancerPlan:
    name: str  # container name
    service: str
    alias: str  # the name Toxiproxy forwards to (the service's upstream name)
    replicas: tuple[str, ...]  # the replicas' container names, reachable on the stack network
    ports: tuple[int, ...]  # container ports, each balanced per request (HTTP)
    labels: tuple[tuple[str, str], ...]
    faults: tuple[FrontFault, ...] = ()  # HTTP faults of a real service, switched at runtime
    api_port: int | None = None  # the runtime API's container port, when it holds faults
    balances: bool = True  # False: there only for the faults (the Kubernetes manifests leave it out)


def is_http(service: Service) -> bool:
    return (service.health is not None and service.health.kind == "http") or any(
        name in ("http", "https") for name, _ in service.ports
    )


def balances_requests(service: Service) -> bool:
    """Whether the service gets a request balancer: replicas, ports, and `balance: request`
    (the default for HTTP services)."""
    if service.replicas < 2 or not service.ports:
        return False
    mode = service.balance or ("request" if is_http(service) else "connection")
    return mode == "request"


def front_faults(profile: Profile, service: Service) -> tuple[FrontFault, ...]:
    """The HTTP faults of the profile's failure modes on a real service with ports."""
    if service.stub is not None or not service.ports:
        return ()
    return tuple(
        FrontFault(mode.name, fault)
        for mode in profile.failure_modes
        if mode.target == service.name and (fault := http_fault(mode.effects)) is not None
    )


def is_fronted(profile: Profile, service: Service) -> bool:
    """Whether an HAProxy stands in front of the service (replicas balanced, or HTTP faults)."""
    return balances_requests(service) or bool(front_faults(profile, service))


def replica_alias(service: str) -> str:
    return f"{REPLICA_ALIAS_PREFIX}{service}"


def plan_balancer(
    service: Service,
    name: str,
    upstream_alias: str,
    replicas: tuple[str, ...],
    labels: tuple[tuple[str, str], ...],
    faults: tuple[FrontFault, ...] = (),
) -> BalancerPlan:
    ports = tuple(port for _, port in service.ports)
    api_port = None
    if faults:
        api_port = RUNTIME_API_PORT if RUNTIME_API_PORT not in ports else ALT_RUNTIME_API_PORT
    return BalancerPlan(
        name=name,
        service=service.name,
        alias=upstream_alias,
        replicas=replicas,
        ports=ports,
        labels=labels,
        faults=faults,
        api_port=api_port,
        balances=balances_requests(service),
    )
