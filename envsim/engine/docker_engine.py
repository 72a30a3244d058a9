"""Connecting to the Docker engine, and the label queries every other engine module uses."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from envsim.errors import EnvironmentProblem
from envsim.plan.stack import LABEL_PREFIX, STACK_LABEL

if TYPE_CHECKING:
    import docker

# On every image envsim builds: the tag it was built as. A rebuild moves the tag to the new
# image; the label still tells which stack an earlier, now untagged, build belonged to.
BUILT_AS_LABEL = f"{LABEL_PREFIX}.built-as"


def connect(timeout: float = 120.0) -> docker.DockerClient:
    """A client for the engine named by DOCKER_HOST (default: the local socket), pinged."""
    import docker
    import requests.exceptions
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except (DockerException, requests.exceptions.RequestException) as error:
        # connect() comes before any change to the engine, so nothing was started or removed
        raise EnvironmentProblem(
            f"no Docker engine answers at {engine_address()}: {why_unreachable(error)}; "
            "envsim started, changed and removed nothing",
            hint="start the engine (`dockerd`, or scripts/test-setup.sh in this repo) or point DOCKER_HOST "
            "at a running one, then run the command again",
        ) from None
    return client


def engine_address() -> str:
    """Where this process looks for the engine, as the user would set it."""
    host = os.environ.get("DOCKER_HOST")
    return f"{host} (DOCKER_HOST)" if host else "unix:///var/run/docker.sock (the default; DOCKER_HOST is unset)"


def why_unreachable(error: BaseException) -> str:
    """The root cause of a failed engine call in a few words (the SDK nests it several deep)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:  # the OS error hides in args, __cause__ or __context__ depending on the layer
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, FileNotFoundError):
            return "no socket at that address"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused (nothing listens on that socket)"
        if isinstance(current, (ConnectionResetError, BrokenPipeError)):
            return "the connection was closed by the other side"
        if isinstance(current, TimeoutError):
            return "it did not answer in time"
        pending.extend(a for a in current.args if isinstance(a, BaseException))
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return " ".join(str(error).split())[:300]


def engine_unreachable(error: BaseException) -> bool:
    """True when `error` is the engine going away (no connection), not a request it refused.

    Toxiproxy and the stubs are reached with requests too: only a connection to the engine's
    own address counts, so a dead Toxiproxy is never reported as a dead engine.
    """
    import requests.exceptions

    if not isinstance(error, requests.exceptions.ConnectionError):
        return False
    url = getattr(getattr(error, "request", None), "url", None) or ""
    host = os.environ.get("DOCKER_HOST", "")
    # the SDK's socket transports (unix, npipe, ssh) all use this scheme; tcp:// engines their address
    return url.startswith("http+docker://") or (host.startswith("tcp://") and f"//{host[6:]}" in url)


def stack_filter(stack: str | None) -> dict[str, str | list[str] | bool]:
    return {"label": [f"{STACK_LABEL}={stack}" if stack else STACK_LABEL]}


def labeled_containers(client: docker.DockerClient, stack: str | None) -> list:
    # ignore_removed: a container removed between listing and inspecting is simply gone
    return client.containers.list(all=True, filters=stack_filter(stack), ignore_removed=True)


def labeled_networks(client: docker.DockerClient, stack: str | None) -> list:
    return client.networks.list(filters=stack_filter(stack))


def labeled_volumes(client: docker.DockerClient, stack: str | None) -> list:
    return client.volumes.list(filters=stack_filter(stack))


def stack_profile(client: docker.DockerClient, stack: str) -> str | None:
    """The profile name a running stack was started from (its containers' label)."""
    for container in labeled_containers(client, stack):
        profile = (container.labels or {}).get(f"{LABEL_PREFIX}.profile")
        if profile:
            return profile
    return None


def stack_profiles(client: docker.DockerClient) -> dict[str, str | None]:
    """Every stack on the engine with the profile name its containers carry (None without containers)."""
    profiles: dict[str, str | None] = {stack: None for stack in stacks_in_engine(client)}
    for container in labeled_containers(client, None):
        labels = container.labels or {}
        stack, profile = labels.get(STACK_LABEL), labels.get(f"{LABEL_PREFIX}.profile")
        if stack and profile and not profiles.get(stack):
            profiles[stack] = profile
    return profiles


def stacks_in_engine(client: docker.DockerClient) -> list[str]:
    names: set[str] = set()
    for resource in [
        *labeled_containers(client, None),
        *labeled_networks(client, None),
        *labeled_volumes(client, None),
    ]:
        labels = resource.attrs.get("Labels") or resource.attrs.get("Config", {}).get("Labels") or {}
        if labels.get(STACK_LABEL):
            names.add(labels[STACK_LABEL])
    return sorted(names)


def published_ports(container) -> dict[int, int]:
    """Container port -> host port, for the TCP ports the container publishes."""
    ports = container.attrs.get("NetworkSettings", {}).get("Ports") or {}
    result = {}
    for key, bindings in ports.items():
        for binding in bindings or []:
            if binding.get("HostPort"):
                result[int(key.split("/")[0])] = int(binding["HostPort"])
                break
    return result


def published_address(container, container_port: int) -> str:
    """The host address Docker publishes a container port on ('' when it publishes none), as
    read last (host_port reads it afresh)."""
    ports = container.attrs.get("NetworkSettings", {}).get("Ports") or {}
    for binding in ports.get(f"{container_port}/tcp") or []:
        if binding.get("HostPort"):
            return str(binding.get("HostIp") or "")
    return ""


def host_port(container, container_port: int) -> int | None:
    """The host port Docker published for a container port, once the container runs."""
    container.reload()
    return published_ports(container).get(container_port)


def last_log_lines(container, count: int = 20, redact: Iterable[str] = ()) -> list[str]:
    try:
        text = container.logs(tail=count).decode("utf-8", "replace")
    except Exception:  # the container may be gone already; logs are a courtesy here
        return []
    return _redacted(text, redact).splitlines()[-count:]


def _redacted(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def timed_log_lines(container, since: float, count: int, redact: Iterable[str] = ()) -> list[tuple[float, str]]:
    """(wall-clock time, line) of the container's log since `since` (epoch seconds), the last
    `count`, secret values redacted; [] when the container is gone."""
    try:
        text = container.logs(timestamps=True, since=int(since), tail=count).decode("utf-8", "replace")
    except Exception:  # the container may be gone already; logs are a courtesy here
        return []
    return timed_lines(text, count, redact)


def timed_lines(text: str, count: int, redact: Iterable[str] = ()) -> list[tuple[float, str]]:
    """(wall-clock time, line) of a log whose lines start with an RFC 3339 time (Docker's and
    the kubelet's `timestamps`), the last `count`, secret values redacted."""
    from datetime import datetime

    timed = []
    for line in _redacted(text, redact).splitlines():
        stamp, _, message = line.partition(" ")
        try:  # RFC 3339 with nanoseconds: Python reads microseconds
            when = datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()
        except ValueError:
            continue
        timed.append((when, message))
    return timed[-count:]
