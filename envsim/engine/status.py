"""What a stack looks like right now, read from the engine's labels and Toxiproxy's API alone."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from envsim.engine.containers import TOXIPROXY_API_LABEL
from envsim.engine.docker_engine import host_port, labeled_containers, published_address, published_ports
from envsim.journal.stand_in_records import describe_record
from envsim.plan.publish import LOOPBACK, describe_publish_address, local_host, url_host
from envsim.plan.stack import REPLICA_LABEL, ROLE_LABEL, SERVICE_LABEL, endpoint_scheme
from envsim.plan.stand_ins import stand_in_of_image

if TYPE_CHECKING:
    import docker


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    service: str
    replica: int
    state: str  # running, paused, exited, ...
    health: str  # the engine's view when the image defines one, else "-"
    direct: dict[str, str]  # "container port" -> "127.0.0.1:host port"
    stand_in: dict[str, str] | None = None  # the offline stand-in the container runs, if one


@dataclass(frozen=True)
class ProxyStatus:
    name: str
    listen: str
    upstream: str
    enabled: bool
    entry_url: str | None
    toxics: tuple[str, ...]


@dataclass(frozen=True)
class StackStatus:
    stack: str
    containers: tuple[ContainerStatus, ...]
    proxies: tuple[ProxyStatus, ...]
    toxiproxy_urls: tuple[str, ...]
    problems: tuple[str, ...] = ()
    publish_address: str = LOOPBACK  # where the entry points are published; admin APIs stay on loopback

    @property
    def found(self) -> bool:
        """Whether the engine has any container of the stack (running or not)."""
        return bool(self.containers or self.toxiproxy_urls or self.problems)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def endpoint_lines(self) -> list[str]:
        lines = [f"{p.name}: {p.entry_url}" for p in self.proxies if p.entry_url]
        lines += [f"toxiproxy api: {url}" for url in self.toxiproxy_urls]
        return lines

    def to_text(self) -> str:
        lines = [f"stack {self.stack}"]
        for c in self.containers:
            direct = ", ".join(f"{port} -> {address}" for port, address in sorted(c.direct.items()))
            lines.append(f"  {c.service:<14} {c.name:<34} {c.state:<8} {direct}")
            if c.stand_in:
                lines.append(f"  {'':<14} stand-in: {describe_record(c.stand_in)}")
        for p in self.proxies:
            toxics = f"  faults: {', '.join(p.toxics)}" if p.toxics else ""
            state = "" if p.enabled else "  DOWN"
            entry = f"  entry {p.entry_url}" if p.entry_url else ""
            lines.append(f"  proxy {p.name:<20} {p.listen} -> {p.upstream}{entry}{state}{toxics}")
        if any(p.entry_url for p in self.proxies):
            lines.append(f"  entry points published on {describe_publish_address(self.publish_address)}")
        lines.extend(f"  endpoint {line}" for line in self.endpoint_lines())
        lines.extend(f"  problem: {problem}" for problem in self.problems)
        return "\n".join(lines)


def stack_status(client: docker.DockerClient, stack: str) -> StackStatus:
    from envsim.engine.toxiproxy_client import ToxiproxyClient, ToxiproxyError

    containers, proxies, urls, problems = [], [], [], []
    publish_address = LOOPBACK
    for container in sorted(labeled_containers(client, stack), key=lambda c: c.name):
        labels = container.labels or {}
        if labels.get(ROLE_LABEL) == "toxiproxy":
            api_port = int(labels.get(TOXIPROXY_API_LABEL, "8474"))
            if container.status != "running":
                problems.append(f"{container.name} is {container.status}")
                continue
            url = f"http://127.0.0.1:{host_port(container, api_port)}"
            urls.append(url)
            published = published_ports(container)
            try:
                for proxy in ToxiproxyClient(url).proxies().values():
                    port = int(proxy.listen.rsplit(":", 1)[1])
                    scheme = endpoint_scheme(proxy.name.rsplit("-", 1)[-1], port)
                    entry = None
                    if port in published:
                        publish_address = published_address(container, port) or LOOPBACK
                        entry = f"{scheme}://{url_host(local_host(publish_address))}:{published[port]}"
                    proxies.append(
                        ProxyStatus(
                            name=proxy.name,
                            listen=proxy.listen,
                            upstream=proxy.upstream,
                            enabled=proxy.enabled,
                            entry_url=entry,
                            toxics=tuple(sorted(t.name for t in proxy.toxics)),
                        )
                    )
            except (ToxiproxyError, OSError) as error:
                problems.append(f"toxiproxy at {url} did not answer: {error}")
            continue
        item = _container_status(container)
        if item.state in ("exited", "dead"):  # a stopped service is no stack "up", whatever started it
            code = container.attrs.get("State", {}).get("ExitCode")
            problems.append(f"{item.name} (service {item.service}) has exited with code {code}")
        containers.append(item)
    return StackStatus(
        stack=stack,
        containers=tuple(containers),
        proxies=tuple(sorted(proxies, key=lambda p: p.name)),
        toxiproxy_urls=tuple(urls),
        problems=tuple(problems),
        publish_address=publish_address,
    )


def _container_status(container) -> ContainerStatus:
    labels = container.labels or {}
    return ContainerStatus(
        name=container.name,
        service=labels.get(SERVICE_LABEL, "?"),
        replica=int(labels.get(REPLICA_LABEL, "0")),
        state=container.status,
        health=(container.attrs.get("State", {}).get("Health") or {}).get("Status", "-"),
        direct={str(port): f"127.0.0.1:{host}" for port, host in published_ports(container).items()},
        stand_in=_stand_in(container),
    )


def _stand_in(container) -> dict[str, str] | None:
    """From the image's labels and tags: the references it was tagged as are what it stands in for."""
    import docker.errors

    try:
        image = container.image
    except docker.errors.DockerException:
        return None
    return stand_in_of_image(image.labels or {}, image.tags or [])
