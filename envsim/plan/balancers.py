"""Request balancing for replicas: an HTTP balancer between Toxiproxy and a service's replicas.

Production load balancers spread requests, not connections. Toxiproxy forwards TCP, so a
client that keeps its connection (every Locust user, most HTTP clients) would stay on one
replica, and state kept in one replica's memory would look shared. For such services an
HTTP balancer takes the service's upstream name and spreads each request over the replicas,
which answer under a name of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from envsim.config.profile_model import Service

REPLICA_ALIAS_PREFIX = "envsim-replica-"


@dataclass(frozen=True)
class BalancerPlan:
    name: str  # container name
    service: str
    alias: str  # the name Toxiproxy forwards to (the service's upstream name)
    replicas: tuple[str, ...]  # the replicas' container names, reachable on the stack network
    ports: tuple[int, ...]  # container ports, each balanced per request (HTTP)
    labels: tuple[tuple[str, str], ...]


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


def replica_alias(service: str) -> str:
    return f"{REPLICA_ALIAS_PREFIX}{service}"


def plan_balancer(
    service: Service, name: str, upstream_alias: str, replicas: tuple[str, ...], labels: tuple[tuple[str, str], ...]
) -> BalancerPlan:
    return BalancerPlan(
        name=name,
        service=service.name,
        alias=upstream_alias,
        replicas=replicas,
        ports=tuple(port for _, port in service.ports),
        labels=labels,
    )
