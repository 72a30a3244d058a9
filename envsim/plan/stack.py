"""StackPlan: the fully resolved stack for a profile, computed without any I/O.

Interposition: every service that listens on ports is fronted by Toxiproxy. On the stack's
network the service's own name (`db`) is an alias of a Toxiproxy container, which listens on
the service's ports and forwards to the real containers under `envsim-upstream-<service>`.
Published entry points are published by that Toxiproxy container, so replicas sit behind one
address (Docker's DNS returns every replica for the upstream alias) and every service,
the one under test included, can take network faults.

Each real container also publishes its ports on 127.0.0.1 at free ports ("direct" ports):
health checks, seeding and probes use them and so bypass any fault.

Links: when a failure mode acts on some clients' traffic only (`from:`, a partition), each
such (client, target) link gets its own proxy, on a Toxiproxy container of the client's
own (a "link Toxiproxy", listening on the target's ports). A network alias is the same for
every container of a network, so the client is pointed at its link by its hosts file instead
(Docker's extra_hosts: `db` -> the link Toxiproxy's address): the app's configuration keeps
`db:5432`. A fault without `from:` acts on the links too, so every client still sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from envsim.config.profile_model import BuildSpec, Credential, HealthCheck, Profile, Service, StubSpec
from envsim.config.template import Template
from envsim.plan.balancers import BalancerPlan, front_faults, is_fronted, plan_balancer, replica_alias
from envsim.plan.executor import dependency_levels
from envsim.plan.publish import LOOPBACK
from envsim.plan.seed import SeedPlan, plan_seed
from envsim.plan.statements import statements_command, statements_on
from envsim.plan.stubs import STUB_CONTAINER_PORT, STUB_SERVER_ENV

LABEL_PREFIX = "envsim"
STACK_LABEL = f"{LABEL_PREFIX}.stack"
ROLE_LABEL = f"{LABEL_PREFIX}.role"
SERVICE_LABEL = f"{LABEL_PREFIX}.service"
REPLICA_LABEL = f"{LABEL_PREFIX}.replica"
LOAD_WORKER_ROLE = "load-worker"  # a Locust worker container of `--workers-on docker`
UPSTREAM_PREFIX = "envsim-upstream-"
TOXIPROXY_API_PORT = 8474
ALT_API_PORT = 18474


@dataclass(frozen=True)
class PortBinding:
    name: str
    container_port: int
    host_port: int | None  # None: a free port (on 127.0.0.1, or an entry point on the publish address)


@dataclass(frozen=True)
class ContainerPlan:
    name: str
    service: str
    replica: int
    image: str  # the tag to run; for build specs, the tag envsim builds
    build: BuildSpec | None
    command: tuple[str, ...] | None
    env: tuple[tuple[str, Template], ...]
    aliases: tuple[str, ...]
    ports: tuple[PortBinding, ...]  # direct ports, on 127.0.0.1
    health: HealthCheck | None
    cpus: float | None
    memory: int | None
    secret_files: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    # a stub service: a MockServer (image chosen by the image layer) loaded with this spec
    stub: StubSpec | None = None
    # (service, link Toxiproxy container): names this container reaches through its own link
    # (its hosts file maps each to that Toxiproxy's address)
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ProxyPlan:
    name: str  # "<service>-<port name>", the Toxiproxy proxy name
    service: str
    port_name: str
    listen: str  # "0.0.0.0:<port>" inside the Toxiproxy container
    upstream: str  # "envsim-upstream-<service>:<port>"
    published: PortBinding | None  # entry point, when the service publishes it (on the plan's publish_address)
    client: str | None = None  # a link's proxy: the one client whose traffic it carries

    @property
    def scheme(self) -> str:
        """How a client addresses it: `postgres` for a PostgreSQL port, `http` for an app's."""
        return endpoint_scheme(self.port_name, int(self.listen.rsplit(":", 1)[1]))

    @property
    def network_url(self) -> str:
        """How a container on the stack's network addresses it: by the service's name, an alias
        of the Toxiproxy container that listens for it."""
        return f"{self.scheme}://{self.service}:{self.listen.rsplit(':', 1)[1]}"


# Endpoints are shown by protocol (`postgres://127.0.0.1:PORT`), from the port's name or its
# well-known number; anything else is taken to speak HTTP.
_SCHEMES = (
    ("postgres", {"pg", "postgres", "postgresql"}, {5432}),
    ("redis", {"redis", "valkey"}, {6379}),
    ("mysql", {"mysql", "mariadb"}, {3306}),
    ("mongodb", {"mongo", "mongodb"}, {27017}),
    ("amqp", {"amqp", "rabbitmq"}, {5672}),
    ("memcached", {"memcached"}, {11211}),
    ("nats", {"nats"}, {4222}),
    ("https", {"https"}, {443, 8443}),
)


def endpoint_scheme(port_name: str, port: int) -> str:
    name = port_name.lower()
    by_name = next((scheme for scheme, names, _ in _SCHEMES if name in names), None)
    if by_name is not None or name in ("http", "web", "api"):
        return by_name or "http"
    return next((scheme for scheme, _, numbers in _SCHEMES if port in numbers), "http")


@dataclass(frozen=True)
class ToxiproxyPlan:
    """One Toxiproxy container. More than one only when two services share a port number."""

    name: str
    aliases: tuple[str, ...]  # the names of the services it fronts
    proxies: tuple[ProxyPlan, ...]
    api: PortBinding
    labels: tuple[tuple[str, str], ...]
    client: str | None = None  # a link Toxiproxy: the client whose links it carries


@dataclass(frozen=True)
class StackPlan:
    stack: str
    profile: str
    network: str
    labels: tuple[tuple[str, str], ...]  # carried by every resource of the stack
    toxiproxies: tuple[ToxiproxyPlan, ...]
    containers: tuple[ContainerPlan, ...]
    levels: tuple[tuple[str, ...], ...]  # start order: services by dependency level
    dependencies: tuple[tuple[str, tuple[str, ...]], ...]
    credentials: tuple[Credential, ...]
    seeds: tuple[SeedPlan, ...]
    balancers: tuple[BalancerPlan, ...] = ()  # request balancers in front of replicas
    # where the entry points are published (envsim.plan.publish); every admin API stays on loopback
    publish_address: str = LOOPBACK

    def containers_of(self, service: str) -> tuple[ContainerPlan, ...]:
        return tuple(c for c in self.containers if c.service == service)

    def proxies_of(self, service: str) -> tuple[ProxyPlan, ...]:
        return tuple(p for t in self.toxiproxies for p in t.proxies if p.service == service)

    def toxiproxy_of(self, proxy_name: str) -> ToxiproxyPlan:
        for toxiproxy in self.toxiproxies:
            if any(p.name == proxy_name for p in toxiproxy.proxies):
                return toxiproxy
        raise KeyError(proxy_name)

    @property
    def container_names(self) -> tuple[str, ...]:
        """Every container of the stack: the services' (replicas included), Toxiproxies and balancers."""
        return (
            *(c.name for c in self.containers),
            *(t.name for t in self.toxiproxies),
            *(b.name for b in self.balancers),
        )

    @property
    def links(self) -> tuple[ProxyPlan, ...]:
        """Every link's proxy: one client's own way to a target."""
        return tuple(p for t in self.toxiproxies for p in t.proxies if p.client is not None)

    @property
    def entry_points(self) -> tuple[ProxyPlan, ...]:
        return tuple(p for t in self.toxiproxies for p in t.proxies if p.published is not None)


_NAME_UNSAFE = re.compile(r"[^a-z0-9_.-]+")


def safe_name(text: str) -> str:
    """A Docker-safe name part (containers, networks, image repositories)."""
    cleaned = _NAME_UNSAFE.sub("-", text.lower()).strip("-.")
    return cleaned or "stack"


def built_image_tag(stack: str, service: str) -> str:
    return f"envsim-{safe_name(stack)}/{safe_name(service)}:latest"


def plan_stack(profile: Profile, stack_name: str | None = None) -> StackPlan:
    stack = safe_name(stack_name or profile.name)
    prefix = f"envsim-{stack}"
    stack_labels = ((STACK_LABEL, stack), (f"{LABEL_PREFIX}.profile", profile.name))
    dependencies = tuple((s.name, tuple(s.depends_on)) for s in profile.services)
    link_toxiproxies = _plan_link_toxiproxies(prefix, stack_labels, profile)
    containers = tuple(
        replace(
            _plan_container(prefix, stack, stack_labels, service, replica, is_fronted(profile, service)),
            links=_client_links(link_toxiproxies, service.name),
        )
        for service in profile.services
        for replica in range(service.replicas)
    )
    return StackPlan(
        stack=stack,
        profile=profile.name,
        network=f"{prefix}-net",
        labels=stack_labels,
        toxiproxies=_plan_toxiproxies(prefix, stack_labels, profile.services) + link_toxiproxies,
        containers=containers,
        levels=dependency_levels(dict(dependencies)),
        dependencies=dependencies,
        credentials=profile.credentials,
        seeds=tuple(plan_seed(s) for s in profile.services if s.seed),
        balancers=tuple(
            plan_balancer(
                s,
                f"{prefix}-{safe_name(s.name)}-balancer",
                f"{UPSTREAM_PREFIX}{s.name}",
                tuple(c.name for c in containers if c.service == s.name),
                stack_labels + ((ROLE_LABEL, "balancer"), (SERVICE_LABEL, f"{s.name} (balancer)")),
                front_faults(profile, s),
            )
            for s in profile.services
            if is_fronted(profile, s)
        ),
    )


def _plan_container(
    prefix: str, stack: str, stack_labels: tuple[tuple[str, str], ...], service: Service, replica: int, fronted: bool
) -> ContainerPlan:
    if service.build is not None:
        image = built_image_tag(stack, service.name)
    elif service.image is not None:
        image = service.image
    else:
        # Stub services run MockServer; which image (official, local build, override) the image
        # layer decides, so the plan names none.
        image = ""
    env, ports, health = (
        service.env,
        tuple(PortBinding(name, port, None) for name, port in service.ports),
        service.health,
    )
    if service.stub is not None:
        # MockServer listens on its own port inside; Toxiproxy listens on the declared one.
        env = tuple((name, Template.literal(value)) for name, value in STUB_SERVER_ENV.items()) + service.env
        ports = tuple(PortBinding(name, STUB_CONTAINER_PORT, None) for name, _ in service.ports[:1])
        health = health or HealthCheck(kind="tcp")
    # A service with ports is reached through Toxiproxy; without ports nobody connects to it,
    # so it keeps its own name.
    # Replicas behind a request balancer (or an HAProxy holding HTTP faults) answer under their
    # own name; the HAProxy takes the upstream name.
    if fronted:
        aliases: tuple[str, ...] = (replica_alias(service.name),)
    else:
        aliases = (f"{UPSTREAM_PREFIX}{service.name}",) if service.ports else (service.name,)
    return ContainerPlan(
        name=f"{prefix}-{safe_name(service.name)}-{replica}",
        service=service.name,
        replica=replica,
        image=image,
        build=service.build,
        command=statements_command(service.command) if statements_on(service) else service.command,
        env=env,
        aliases=aliases,
        ports=ports,
        health=health,
        cpus=service.resources.cpus,
        memory=service.resources.memory,
        secret_files=service.secret_files,
        labels=stack_labels + ((ROLE_LABEL, "service"), (SERVICE_LABEL, service.name), (REPLICA_LABEL, str(replica))),
        stub=service.stub,
    )


def _service_proxies(service: Service, client: str | None = None) -> list[ProxyPlan]:
    """The proxies in front of a service's ports: the shared ones (client None) or a client's link."""
    published = dict(service.publish) if client is None else {}
    return [
        ProxyPlan(
            name=f"{service.name}-{port_name}" if client is None else f"link.{client}.{service.name}.{port_name}",
            service=service.name,
            port_name=port_name,
            listen=f"0.0.0.0:{port}",
            upstream=f"{UPSTREAM_PREFIX}{service.name}:{STUB_CONTAINER_PORT if service.stub else port}",
            published=PortBinding(port_name, port, published[port_name]) if port_name in published else None,
            client=client,
        )
        for port_name, port in service.ports
    ]


def _shards(services: list[Service], client: str | None) -> list[tuple[list[str], list[ProxyPlan], set[int]]]:
    """Greedy: a service joins the first Toxiproxy whose listen ports it does not collide with."""
    shards: list[tuple[list[str], list[ProxyPlan], set[int]]] = []
    for service in services:
        if not service.ports:
            continue
        ports = {port for _, port in service.ports}
        proxies = _service_proxies(service, client)
        for names, shard_proxies, used in shards:
            if not used & ports:
                names.append(service.name)
                shard_proxies.extend(proxies)
                used.update(ports)
                break
        else:
            shards.append(([service.name], proxies, set(ports)))
    return shards


def _api_port(used: set[int]) -> PortBinding:
    # The API moves aside when a fronted service itself listens on Toxiproxy's port.
    return PortBinding("api", TOXIPROXY_API_PORT if TOXIPROXY_API_PORT not in used else ALT_API_PORT, None)


def _plan_toxiproxies(
    prefix: str, stack_labels: tuple[tuple[str, str], ...], services: tuple[Service, ...]
) -> tuple[ToxiproxyPlan, ...]:
    return tuple(
        ToxiproxyPlan(
            name=f"{prefix}-toxiproxy-{index}",
            aliases=tuple(names),
            proxies=tuple(proxies),
            api=_api_port(used),
            labels=stack_labels + ((ROLE_LABEL, "toxiproxy"), (REPLICA_LABEL, str(index))),
        )
        for index, (names, proxies, used) in enumerate(_shards(list(services), None))
    )


def planned_links(profile: Profile) -> tuple[tuple[str, str], ...]:
    """The (client, target) links the failure modes act on alone; a target without ports has
    no traffic to carry, so no link (validate says so where that matters)."""
    ported = {s.name for s in profile.services if s.ports}
    known = {s.name for s in profile.services}
    return tuple(
        sorted(
            {
                (client, target)
                for mode in profile.failure_modes
                for client, target in mode.links
                if target in ported and client in known and client != target
            }
        )
    )


def _plan_link_toxiproxies(
    prefix: str, stack_labels: tuple[tuple[str, str], ...], profile: Profile
) -> tuple[ToxiproxyPlan, ...]:
    """A Toxiproxy per client with links (more when two of its targets share a port number).
    No network alias: only the client's hosts file names it."""
    links = planned_links(profile)
    services = {s.name: s for s in profile.services}
    return tuple(
        ToxiproxyPlan(
            name=f"{prefix}-{safe_name(client)}.links-{index}",
            aliases=(),
            proxies=tuple(proxies),
            api=_api_port(used),
            labels=stack_labels
            + ((ROLE_LABEL, "toxiproxy"), (SERVICE_LABEL, f"{client} (links)"), (REPLICA_LABEL, str(index))),
            client=client,
        )
        for client in sorted({client for client, _ in links})
        for index, (_, proxies, used) in enumerate(
            _shards([services[target] for linked, target in links if linked == client], client)
        )
    )


def _client_links(toxiproxies: tuple[ToxiproxyPlan, ...], client: str) -> tuple[tuple[str, str], ...]:
    """(target, link Toxiproxy) for each target the client reaches through its own link."""
    found = {p.service: t.name for t in toxiproxies if t.client == client for p in t.proxies}
    return tuple(sorted(found.items()))
