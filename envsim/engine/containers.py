"""Creating the containers of a StackPlan on the engine: services and Toxiproxy.

Secrets are rendered into env only here, right before the engine call, and secret files are
copied into the container (tar through the API), never written to the host's disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Mapping
from typing import TYPE_CHECKING

from envsim.errors import EnvironmentProblem
from envsim.interrupts import deferred
from envsim.plan.publish import LOOPBACK
from envsim.plan.stack import ROLE_LABEL, STACK_LABEL, ContainerPlan, PortBinding, StackPlan, ToxiproxyPlan

if TYPE_CHECKING:
    import docker

CONFIG_HASH_LABEL = "envsim.config-hash"
TOXIPROXY_API_LABEL = "envsim.toxiproxy-api"  # lets `status` find the API without the profile


def config_hash(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _port_bindings(ports: tuple[PortBinding, ...], address: str = LOOPBACK) -> dict[int | str, tuple[str, int | None]]:
    # Loopback unless the stack's entry points are published elsewhere: direct ports and every
    # admin API (Toxiproxy's, MockServer's, HAProxy's) switch faults or bypass them, and other
    # machines must not reach them.
    return {f"{p.container_port}/tcp": (address, p.host_port) for p in ports}


def service_config_hash(container: ContainerPlan, image_id: str, hosts: Mapping[str, str] | None = None) -> str:
    """`hosts`: the addresses of the container's links (a link Toxiproxy started again may have
    another, and the container must then be made again to reach it)."""
    return config_hash(
        {
            "image": image_id,
            "command": container.command,
            # secret names, not values: values are stable for the stack's lifetime
            "env": [(name, value.redacted()) for name, value in container.env],
            "ports": [(p.name, p.container_port, p.host_port) for p in container.ports],
            "aliases": container.aliases,
            "limits": (container.cpus, container.memory),
            "secret_files": container.secret_files,
            **({"hosts": sorted(hosts.items())} if hosts else {}),
        }
    )


def _secret_archive(files: tuple[tuple[str, str], ...], secrets: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, path in files:
            data = secrets[name].encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(data)
            info.mode = 0o444  # read-only for whatever user the service runs as
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def rewrite_secret_files(
    client: docker.DockerClient, container_name: str, files: tuple[tuple[str, str], ...], secrets: Mapping[str, str]
) -> None:
    """Write the current value of each secret file into a running container (a rotation); the
    path stays where the app reads it. The engine's error never quotes the archive."""
    from docker.errors import APIError, NotFound

    try:
        client.api.put_archive(container_name, "/", _secret_archive(files, secrets))
    except NotFound:
        raise EnvironmentProblem(f"container {container_name} is gone: cannot rewrite its secret files") from None
    except APIError as error:
        raise EnvironmentProblem(
            f"container {container_name}: the engine refused the secret files: {error.explanation or error.status_code}"
        ) from None


def _memory_and_cpus(container: ContainerPlan) -> tuple[int | None, int | None]:
    """The memory limit in bytes and the CPU limit in billionths of a CPU; None: no limit."""
    return container.memory or None, int(container.cpus * 1e9) if container.cpus else None


def port_taken_problem(error: Exception, what: str) -> EnvironmentProblem | None:
    text = str(error)
    if "port is already allocated" in text or "address already in use" in text:
        address = re.search(r"(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):\d+", text)
        where = address.group(0) if address else "a fixed host port"
        # envsim checks fixed ports before it starts anything, so here the port was taken since
        return EnvironmentProblem(
            f"{what}: host port {where} is taken: it was free when envsim checked before starting, and "
            "something bound it since; envsim removes what it had started (unless --keep)",
            hint="free that port (`ss -ltnp` shows who holds it), or choose another fixed port under `publish:` "
            "in the profile (or none, for a free one), then run the command again",
        )
    return None


def create_service_container(
    client: docker.DockerClient,
    plan: StackPlan,
    container: ContainerPlan,
    image_id: str,
    secrets: Mapping[str, str],
    hosts: Mapping[str, str] | None = None,
):
    """Create and start one service container; returns the container object. `hosts`: name ->
    address written to its hosts file, where its links point the names of their targets."""
    from docker.errors import APIError

    labels = dict(container.labels)
    labels[CONFIG_HASH_LABEL] = service_config_hash(container, image_id, hosts)
    env = {name: value.render(secrets) for name, value in container.env}
    # types-docker declares one EndpointConfig; docker-py takes {network name: EndpointConfig}
    networking = client.api.create_networking_config(
        {plan.network: client.api.create_endpoint_config(aliases=list(container.aliases))}  # type: ignore[arg-type]
    )
    memory, nano_cpus = _memory_and_cpus(container)
    host_config = client.api.create_host_config(
        port_bindings=_port_bindings(container.ports),
        mem_limit=memory,
        nano_cpus=nano_cpus,
        extra_hosts=dict(hosts) if hosts else None,
        mounts=image_volume_mounts(client, image_id, container.labels),
    )
    try:
        with deferred():  # a signal mid-call would lose the container to the clean-up
            created = client.api.create_container(
                image=image_id,
                command=list(container.command) if container.command is not None else None,
                name=container.name,
                environment=env,
                labels=labels,
                ports=[p.container_port for p in container.ports],
                host_config=host_config,
                networking_config=networking,
            )
        if container.secret_files:
            client.api.put_archive(created["Id"], "/", _secret_archive(container.secret_files, secrets))
        client.api.start(created["Id"])
    except APIError as error:
        problem = port_taken_problem(error, f"service {container.service}")
        if problem:
            raise problem from None
        raise EnvironmentProblem(
            f"service {container.service}: the engine refused the container: {error.explanation or error}"
        ) from None
    return client.containers.get(created["Id"])


def image_volume_mounts(client: docker.DockerClient, image_id: str, labels: tuple[tuple[str, str], ...]) -> list:
    """A fresh volume, as Docker would make, for each VOLUME the image declares, but labelled
    with the stack: one left by a container removed outside envsim (`docker rm -f` keeps it)
    is then still found and removed by `down`."""
    from docker.types import Mount

    declared = (client.api.inspect_image(image_id).get("Config") or {}).get("Volumes") or {}
    stack_labels = {key: value for key, value in labels if key == STACK_LABEL}
    return [Mount(path, None, type="volume", labels=stack_labels) for path in sorted(declared)]


def network_address(container, network: str) -> str:
    """The container's IPv4 address on the network ('' when it is not on it)."""
    container.reload()
    return str(
        ((container.attrs.get("NetworkSettings") or {}).get("Networks") or {}).get(network, {}).get("IPAddress") or ""
    )


def toxiproxy_config_hash(toxiproxy: ToxiproxyPlan, image_id: str, publish_address: str = LOOPBACK) -> str:
    # the address only when it is not loopback: the stacks started before it was chosen keep their hash
    elsewhere = {"publish_address": publish_address} if publish_address != LOOPBACK else {}
    return config_hash(
        {
            "image": image_id,
            "aliases": toxiproxy.aliases,
            "api": toxiproxy.api.container_port,
            "published": [(p.name, p.published) for p in toxiproxy.proxies],
            **elsewhere,
        }
    )


def create_toxiproxy_container(client: docker.DockerClient, plan: StackPlan, toxiproxy: ToxiproxyPlan, image_id: str):
    from docker.errors import APIError

    entry_points = tuple(p.published for p in toxiproxy.proxies if p.published is not None)
    published = [*entry_points, toxiproxy.api]
    labels = dict(toxiproxy.labels)
    labels[CONFIG_HASH_LABEL] = toxiproxy_config_hash(toxiproxy, image_id, plan.publish_address)
    labels[TOXIPROXY_API_LABEL] = str(toxiproxy.api.container_port)
    # types-docker declares one EndpointConfig; docker-py takes {network name: EndpointConfig}
    networking = client.api.create_networking_config(
        {plan.network: client.api.create_endpoint_config(aliases=list(toxiproxy.aliases))}  # type: ignore[arg-type]
    )
    bindings = {**_port_bindings(entry_points, plan.publish_address), **_port_bindings((toxiproxy.api,))}
    host_config = client.api.create_host_config(port_bindings=bindings)
    try:
        with deferred():  # a signal mid-call would lose the container to the clean-up
            created = client.api.create_container(
                image=image_id,
                command=["-host=0.0.0.0", f"-port={toxiproxy.api.container_port}"],
                name=toxiproxy.name,
                labels=labels,
                ports=[p.container_port for p in published],
                host_config=host_config,
                networking_config=networking,
            )
        client.api.start(created["Id"])
    except APIError as error:
        problem = port_taken_problem(error, "toxiproxy")
        if problem:
            raise problem from None
        raise EnvironmentProblem(f"toxiproxy: the engine refused the container: {error.explanation or error}") from None
    return client.containers.get(created["Id"])


def remove_own_container(client, name: str, role: str, what: str, *, stop_timeout: int, context: str = "") -> None:
    """Stop (SIGTERM, then `stop_timeout` s) and remove envsim's container `name` of `role`; none
    there is no error, and one of another role is left alone. `what` names it in messages
    ("network helper"), after `context` ("fault cache-down: ")."""
    from docker.errors import APIError, NotFound

    try:
        container = client.containers.get(name)
        if (container.labels or {}).get(ROLE_LABEL) != role:
            raise EnvironmentProblem(f"{context}{name} is not envsim's {what}; left alone")
        if container.status == "running":
            container.stop(timeout=stop_timeout)
        container.remove(force=True)
    except NotFound:
        return
    except APIError as error:
        if error.status_code == 409:  # removal already in progress
            return
        raise EnvironmentProblem(f"{context}could not remove the {what} {name}: {error}") from None
