"""apply_stack: make the engine match a StackPlan, health-gated, converging on re-runs.

Order: network, Toxiproxy (proxies populated from the plan), then services through the
dependency-aware executor, each gated on its health check and seeded once when fresh.
On any failure the stack is removed again unless `keep` is set, and the error names the
service, the reason and its last log lines.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from envsim.engine.balancers import balancer_config_hash, create_balancer_container, wait_for_balancer
from envsim.engine.containers import (
    CONFIG_HASH_LABEL,
    create_service_container,
    create_toxiproxy_container,
    network_address,
    service_config_hash,
    toxiproxy_config_hash,
)
from envsim.engine.docker_engine import host_port, labeled_containers, published_ports
from envsim.engine.proxies import populate_proxies
from envsim.engine.readiness import (
    DEFAULT_RUNNING_FOR,
    ServiceUnhealthy,
    describe_failure,
    wait_for_container,
    wait_for_toxiproxy,
)
from envsim.engine.seeding import run_seed
from envsim.engine.stack_watch import OUTSIDE_REMOVAL_HINT, removed_container
from envsim.engine.state import PHASE_STARTING, PHASE_UP, StackState, state_root
from envsim.engine.stubs import load_stub
from envsim.engine.teardown import remove_stack
from envsim.errors import EnvironmentProblem
from envsim.interrupts import deferred, uninterrupted
from envsim.plan.executor import execute
from envsim.plan.publish import LOOPBACK, local_host, url_host, workers_entry_host
from envsim.plan.stack import ContainerPlan, StackPlan

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container


STUB_IMAGE_KEY = "mockserver"  # image_ids: the MockServer image stubs run (like "toxiproxy")
TOXIPROXY_NODE = "<toxiproxy>"  # not a valid service name, so it cannot collide


class ApplyProgress:
    """Progress hooks with no-op defaults; the CLI subclasses it."""

    def step(self, subject: str, message: str) -> None:
        pass


@dataclass(frozen=True)
class StackHandle:
    plan: StackPlan
    toxiproxy_urls: Mapping[str, str]  # Toxiproxy container name -> API URL on 127.0.0.1
    entry_urls: Mapping[str, str]  # proxy name -> URL this machine reaches it at (published entry points)
    direct_ports: Mapping[str, Mapping[str, int]]  # container name -> port name -> host port
    secrets: Mapping[str, str] = field(repr=False)
    front_apis: Mapping[str, str] = field(default_factory=dict)  # HAProxy front -> runtime API "127.0.0.1:port"
    publish_address: str = LOOPBACK  # where the entry points are published (envsim.plan.publish)

    def entry_url(self, proxy_name: str) -> str:
        return self.entry_urls[proxy_name]

    def workers_entry_url(self, proxy_name: str, master_bind: str) -> str:
        """The entry point as Locust workers that joined a master listening on `master_bind`
        reach it; ValueError saying why when workers elsewhere cannot reach it."""
        host = workers_entry_host(self.publish_address, master_bind)
        parts = urlsplit(self.entry_urls[proxy_name])
        return urlunsplit(parts._replace(netloc=f"{url_host(host)}:{parts.port}"))

    @property
    def stub_urls(self) -> dict[str, str]:
        """Stub container name -> its MockServer's admin API (its direct port on 127.0.0.1)."""
        return {
            c.name: f"http://127.0.0.1:{next(iter(self.direct_ports[c.name].values()))}"
            for c in self.plan.containers
            if c.stub is not None and self.direct_ports.get(c.name)
        }


def _network(client: docker.DockerClient, plan: StackPlan):
    existing = client.networks.list(names=[plan.network])
    for network in existing:
        if network.name == plan.network:
            return network
    with deferred():  # interrupted mid-call, the network would be made after the clean-up looked
        return client.networks.create(plan.network, driver="bridge", labels=dict(plan.labels), check_duplicate=True)


def _existing(client: docker.DockerClient, plan: StackPlan) -> dict[str, Container]:
    return {c.name: c for c in labeled_containers(client, plan.stack)}


def _reuse_or_remove(existing: dict, name: str, wanted_hash: str):
    container = existing.get(name)
    if container is None:
        return None
    labels = container.labels or {}
    if labels.get(CONFIG_HASH_LABEL) == wanted_hash and container.status == "running":
        return container
    container.remove(force=True, v=True)
    return None


def _direct_ports(container, plan: ContainerPlan) -> dict[str, int]:
    ports = {}
    for binding in plan.ports:
        port = host_port(container, binding.container_port)
        if port is not None:
            ports[binding.name] = port
    return ports


def check_startable(plan: StackPlan) -> None:
    """Every container has an image to run (a stub's, MockServer, is chosen by the image layer)."""
    unknown = sorted({c.service for c in plan.containers if not c.image and c.stub is None})
    if unknown:
        raise EnvironmentProblem(f"no image to run for: {', '.join(unknown)}")


def apply_stack(
    client: docker.DockerClient,
    plan: StackPlan,
    image_ids: Mapping[str, str],
    env: Mapping[str, str],
    *,
    progress: ApplyProgress | None = None,
    cancel: threading.Event | None = None,
    keep: bool = False,
    final_phase: str = PHASE_UP,
) -> StackHandle:
    """Bring the stack up. `image_ids` maps each plan image name (and "toxiproxy") to an image id."""
    check_startable(plan)
    progress = progress or ApplyProgress()
    cancel = cancel or threading.Event()
    state = StackState(state_root(env), plan.stack)
    state.set_owner(PHASE_STARTING)
    secrets = state.secrets(plan.credentials)
    try:
        handle = _apply(client, plan, image_ids, secrets, progress, cancel)
    except BaseException:
        if not keep:
            progress.step(plan.stack, "removing what was started")
            with uninterrupted():  # the failure (or first signal) is re-raised below anyway
                remove_stack(client, plan.stack, env)
        raise
    state.set_owner(final_phase)
    return handle


def _check_fixed_ports(plan: StackPlan, existing: dict) -> None:
    """Fail before starting anything when a fixed host port is taken by someone else."""
    ours = {port for container in existing.values() for port in published_ports(container).values()}
    fixed = [
        (p.service, p.port_name, p.published.host_port)
        for t in plan.toxiproxies
        for p in t.proxies
        if p.published is not None and p.published.host_port is not None
    ]
    address = plan.publish_address
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for service, port_name, port in fixed:
        if port in ours:
            continue
        with socket.socket(family) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                raise EnvironmentProblem(
                    f"port {url_host(address)}:{port} is taken; service {service} publishes {port_name} there; "
                    "envsim started nothing",
                    hint="free that port, or choose another fixed port under `publish:` (or none, for a free one)",
                ) from None


def _apply(
    client, plan: StackPlan, image_ids, secrets, progress: ApplyProgress, cancel: threading.Event
) -> StackHandle:
    existing = _existing(client, plan)
    _check_fixed_ports(plan, existing)
    _network(client, plan)
    starter = _StackStarter(client, plan, image_ids, secrets, progress, cancel, existing)
    starter.start_all()
    _remove_unplanned(client, plan, progress)
    _check_all_running(client, plan, secrets)
    return StackHandle(
        plan=plan,
        toxiproxy_urls=starter.toxiproxy_urls,
        entry_urls=starter.entry_urls,
        direct_ports=starter.direct,
        secrets=secrets,
        front_apis=starter.front_apis,
        publish_address=plan.publish_address,
    )


class _StackStarter:
    """Starts Toxiproxy and the services through the dependency-aware executor, collecting
    the addresses the handle needs (worker threads write them under a lock)."""

    def __init__(self, client, plan: StackPlan, image_ids, secrets, progress: ApplyProgress, cancel, existing):
        self.client, self.plan, self.image_ids, self.secrets = client, plan, image_ids, secrets
        self.progress, self.cancel, self.existing = progress, cancel, existing
        self.toxiproxy_urls: dict[str, str] = {}
        self.toxiproxy_addresses: dict[str, str] = {}  # on the stack's network: where links point
        self.entry_urls: dict[str, str] = {}
        self.direct: dict[str, dict[str, int]] = {}
        self.front_apis: dict[str, str] = {}
        self.seeds = {seed.service: seed for seed in plan.seeds}
        self._lock = threading.Lock()

    def start_all(self) -> None:
        # Toxiproxy starts beside the first level: services without dependencies are checked on
        # their direct ports, and only services that connect to others need the proxies first.
        # A client with links reaches its targets' names through a link Toxiproxy whose address
        # its hosts file needs, so it waits for Toxiproxy too.
        linked = {c.service for c in self.plan.containers if c.links}
        graph = {
            name: (*deps, TOXIPROXY_NODE) if deps or name in linked else deps for name, deps in self.plan.dependencies
        }
        graph[TOXIPROXY_NODE] = ()
        result = execute(graph, self._start_node, max_workers=4, cancel=self.cancel, on_failure="stop")
        if result.cancelled:
            raise KeyboardInterrupt
        if result.failed:
            _, error = next(iter(result.failed.items()))
            if isinstance(error, (EnvironmentProblem, ServiceUnhealthy)):
                raise EnvironmentProblem(str(error), getattr(error, "hint", None)) from None
            if removed_container(error):  # e.g. while its seed ran, or its ports were read
                raise EnvironmentProblem(
                    f"stack {self.plan.stack}: {getattr(error, 'explanation', error)}: a container was removed from outside envsim "
                    "while envsim started the stack",
                    hint=OUTSIDE_REMOVAL_HINT,
                ) from None
            raise error

    def _start_node(self, node: str) -> None:
        if node == TOXIPROXY_NODE:
            for toxiproxy in self.plan.toxiproxies:
                self._start_toxiproxy(toxiproxy)
        else:
            self._start_service(node)

    def _start_balancer(self, balancer) -> None:
        image_id = self.image_ids["balancer"]
        container = _reuse_or_remove(self.existing, balancer.name, balancer_config_hash(balancer, image_id))
        if container is None:
            self.progress.step(balancer.service, "starting its HAProxy" + (" (HTTP faults)" if balancer.faults else ""))
            container = create_balancer_container(self.client, self.plan, balancer, image_id)
        wait_for_balancer(container, balancer, self.cancel)
        if balancer.api_port is not None:
            with self._lock:
                self.front_apis[balancer.name] = f"127.0.0.1:{host_port(container, balancer.api_port)}"

    def _start_toxiproxy(self, toxiproxy) -> None:
        image_id = self.image_ids["toxiproxy"]
        wanted = toxiproxy_config_hash(toxiproxy, image_id, self.plan.publish_address)
        container = _reuse_or_remove(self.existing, toxiproxy.name, wanted)
        if container is None:
            self.progress.step("toxiproxy", "starting")
            container = create_toxiproxy_container(self.client, self.plan, toxiproxy, image_id)
        url = f"http://127.0.0.1:{host_port(container, toxiproxy.api.container_port)}"
        wait_for_toxiproxy(url, self.cancel)
        populate_proxies(url, toxiproxy)
        address = network_address(container, self.plan.network)
        if toxiproxy.client is not None and not address:  # its client's hosts file would name nothing
            raise EnvironmentProblem(f"toxiproxy {toxiproxy.name} has no address on the network {self.plan.network}")
        with self._lock:
            self.toxiproxy_urls[toxiproxy.name] = url
            self.toxiproxy_addresses[toxiproxy.name] = address
            for proxy in toxiproxy.proxies:
                if proxy.published is not None:
                    port = host_port(container, proxy.published.container_port)
                    host = url_host(local_host(self.plan.publish_address))
                    self.entry_urls[proxy.name] = f"{proxy.scheme}://{host}:{port}"
        self.progress.step("toxiproxy", f"ready, {len(toxiproxy.proxies)} proxies")

    def _start_service(self, service: str) -> None:
        fresh_containers = [c for c in self._start_replicas(service) if c]
        for balancer in self.plan.balancers:
            if balancer.service == service:  # after the replicas: it names them at start
                self._start_balancer(balancer)
        if service in self.seeds and fresh_containers:
            run_seed(fresh_containers[0], self.seeds[service], lambda message: self.progress.step(service, message))
        health = self.plan.containers_of(service)[0].health
        self.progress.step(service, "healthy" if health and health.kind != "running" else "started")

    def _start_replicas(self, service: str) -> list:
        """Each replica started and waited for beside the others: one after the other, a
        service of N replicas took N start-ups and N health waits."""
        plans = self.plan.containers_of(service)
        if len(plans) == 1:
            return [self._start_container(plans[0])]
        with ThreadPoolExecutor(max_workers=len(plans), thread_name_prefix="envsim-replica") as pool:
            return list(pool.map(self._start_container, plans))

    def _start_container(self, container_plan: ContainerPlan):
        """Start (or keep) one container and wait for its health; returns it when it is new."""
        image_id = self.image_ids[STUB_IMAGE_KEY if container_plan.stub is not None else container_plan.image]
        with self._lock:
            hosts = {service: self.toxiproxy_addresses[toxiproxy] for service, toxiproxy in container_plan.links}
        wanted = service_config_hash(container_plan, image_id, hosts)
        container = _reuse_or_remove(self.existing, container_plan.name, wanted)
        fresh = container is None
        if fresh:
            self.progress.step(container_plan.service, f"starting {container_plan.name}")
            container = create_service_container(self.client, self.plan, container_plan, image_id, self.secrets, hosts)
        ports = _direct_ports(container, container_plan)
        with self._lock:
            self.direct[container_plan.name] = ports
        health = container_plan.health
        if health is not None and health.kind != "running":
            self.progress.step(container_plan.service, f"waiting for health ({health.kind})")
        else:
            running_for = health.running_for if health else DEFAULT_RUNNING_FOR
            self.progress.step(container_plan.service, f"checking it keeps running for {running_for:g}s")
        wait_for_container(container, container_plan, ports, self.cancel, self.secrets.values())
        if container_plan.stub is not None:
            url = f"http://127.0.0.1:{next(iter(ports.values()))}"
            served = load_stub(url, container_plan.service, container_plan.stub, self.secrets, self.cancel)
            self.progress.step(container_plan.service, f"stub loaded, {served} expectations")
        return container if fresh else None


def _check_all_running(client, plan: StackPlan, secrets: Mapping[str, str]) -> None:
    """Every planned container still runs once the last level is ready: one of an early level
    may have exited while later ones started, and the stack must not be reported up then."""
    found = _existing(client, plan)
    for container_plan in plan.containers:
        container = found.get(container_plan.name)
        if container is None:
            raise EnvironmentProblem(
                f"service {container_plan.service}: its container {container_plan.name} was "
                "removed from outside envsim while envsim started the stack",
                hint=OUTSIDE_REMOVAL_HINT,
            )
        if container.status != "running":
            code = container.attrs.get("State", {}).get("ExitCode")
            reason = f"the container is {container.status} (exit code {code}) after it was ready"
            raise EnvironmentProblem(describe_failure(container, container_plan, reason, secrets.values()))


def _remove_unplanned(client, plan: StackPlan, progress: ApplyProgress) -> None:
    """Containers of services or replicas no longer in the profile."""
    planned = set(plan.container_names)
    for name, container in _existing(client, plan).items():
        if name not in planned:
            progress.step(plan.stack, f"removing {name} (no longer in the profile)")
            container.remove(force=True, v=True)
