"""Finding a running stack again: its published addresses, read back from the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from envsim.engine.apply import StackHandle
from envsim.engine.docker_engine import host_port, labeled_containers, published_address
from envsim.engine.state import StackState, state_root
from envsim.errors import EnvironmentProblem
from envsim.plan.publish import LOOPBACK, local_host, url_host
from envsim.plan.stack import StackPlan

if TYPE_CHECKING:
    import docker


def is_running(client: docker.DockerClient, plan: StackPlan) -> bool:
    """Every planned container exists and runs (a paused one counts: a fault may hold it)."""
    states = {c.name: c.status for c in labeled_containers(client, plan.stack)}
    wanted = plan.container_names
    return all(states.get(name) in ("running", "paused") for name in wanted)


def attach_stack(client: docker.DockerClient, plan: StackPlan, env: Mapping[str, str]) -> StackHandle:
    containers = {c.name: c for c in labeled_containers(client, plan.stack)}
    missing = [t.name for t in plan.toxiproxies if t.name not in containers]
    if missing or not containers:
        raise EnvironmentProblem(f"stack {plan.stack} is not running", hint=f"start it with `envsim up {plan.profile}`")
    toxiproxy_urls, entry_urls = {}, {}
    publish_address = LOOPBACK  # the engine keeps where `up` published the entry points
    for toxiproxy in plan.toxiproxies:
        container = containers[toxiproxy.name]
        toxiproxy_urls[toxiproxy.name] = f"http://127.0.0.1:{host_port(container, toxiproxy.api.container_port)}"
        for proxy in toxiproxy.proxies:
            if proxy.published is not None:
                port = host_port(container, proxy.published.container_port)
                publish_address = published_address(container, proxy.published.container_port) or LOOPBACK
                entry_urls[proxy.name] = f"{proxy.scheme}://{url_host(local_host(publish_address))}:{port}"
    direct = {}
    for container_plan in plan.containers:
        container = containers.get(container_plan.name)
        if container is not None and container.status == "running":
            direct[container_plan.name] = {
                p.name: port for p in container_plan.ports if (port := host_port(container, p.container_port))
            }
    secrets = StackState(state_root(env), plan.stack).secrets(plan.credentials)
    front_apis = {
        b.name: f"127.0.0.1:{port}"
        for b in plan.balancers
        if b.api_port is not None
        and b.name in containers
        and (port := host_port(containers[b.name], b.api_port)) is not None
    }
    return StackHandle(
        plan=replace(plan, publish_address=publish_address),
        toxiproxy_urls=toxiproxy_urls,
        entry_urls=entry_urls,
        direct_ports=direct,
        secrets=secrets,
        front_apis=front_apis,
        publish_address=publish_address,
    )
