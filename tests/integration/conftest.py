"""Shared fixtures for integration tests: a real Docker engine, prepared images, Toxiproxy.

No engine is a failure (the test command starts one with scripts/test-setup.sh); set
ENVSIM_ALLOW_NO_ENGINE=1 to skip instead, e.g. on a laptop without Docker.
Everything created here carries envsim.test=true and is removed at the end.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

TEST_LABELS = {"envsim.managed": "true", "envsim.test": "true"}


@pytest.fixture(scope="session")
def docker_client():
    from envsim.engine.docker_engine import connect
    from envsim.errors import EnvironmentProblem

    try:
        client = connect(timeout=120)
    except EnvironmentProblem as problem:
        message = f"{problem} (run scripts/test-setup.sh, or deselect with -m 'not integration')"
        if os.environ.get("ENVSIM_ALLOW_NO_ENGINE") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    yield client
    client.close()


@pytest.fixture(scope="session")
def prepared_images(docker_client) -> dict[str, str]:
    """The test image set (cheap when scripts/test-setup.sh already prepared it)."""
    from envsim.images import PlainProgress, ensure_images
    from envsim.images.prepare_test_images import TEST_IMAGES

    return ensure_images(TEST_IMAGES, docker_client, PlainProgress(sys.stderr))


@pytest.fixture
def test_network(docker_client):
    network = docker_client.networks.create(f"envsim-test-{uuid.uuid4().hex[:10]}", labels=TEST_LABELS)
    yield network
    network.reload()
    for container in network.containers:
        # v=True: an image's anonymous volumes (postgres' data) outlive the container otherwise
        container.remove(force=True, v=True)
    network.remove()


def start_container(docker_client, image: str, network=None, aliases=(), **options):
    """Run a labelled test container; callers remove it (fixtures do, in finally blocks)."""
    container = docker_client.containers.create(
        image, labels=TEST_LABELS, name=f"envsim-test-{uuid.uuid4().hex[:10]}", **options
    )
    try:
        if network is not None:
            network.connect(container, aliases=list(aliases))
        container.start()
    except Exception:
        container.remove(force=True, v=True)
        raise
    return container


@pytest.fixture(scope="session")
def run_container(docker_client):
    """run_container(image, network=None, aliases=(), **docker_run_options) -> container.

    Containers are labelled envsim.test=true and removed when the session ends.
    """
    started = []

    def run(image: str, network=None, aliases=(), **options):
        container = start_container(docker_client, image, network, aliases, **options)
        started.append(container)
        return container

    yield run
    import docker.errors

    for container in started:
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass


def published_port(container, container_port: int) -> int:
    """The host port (bound on 127.0.0.1) a container port is published on."""
    deadline = time.monotonic() + 10
    while True:
        container.reload()
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{container_port}/tcp")
        if bindings:
            return int(bindings[0]["HostPort"])
        if time.monotonic() > deadline:
            raise AssertionError(f"port {container_port} of {container.name} is not published")
        time.sleep(0.1)


def wait_for_tcp(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# Ports the Toxiproxy container publishes up front for proxies created by tests.
PROXY_PORTS = (21000, 21001, 21002)


@dataclass(frozen=True)
class ToxiproxyServer:
    api: object  # envsim.engine.toxiproxy_client.ToxiproxyClient
    container: object
    network: object
    ports: dict[int, int]  # proxy listen port in the container -> host port on 127.0.0.1


@pytest.fixture(scope="session")
def toxiproxy_server(docker_client, prepared_images):
    """A real Toxiproxy container on its own network, API published on 127.0.0.1."""
    from envsim.engine.toxiproxy_client import ToxiproxyClient, ToxiproxyError
    from envsim.images import toxiproxy_image

    network = docker_client.networks.create(f"envsim-test-{uuid.uuid4().hex[:10]}", labels=TEST_LABELS)
    container = None
    try:
        ports = {"8474/tcp": ("127.0.0.1", None)}
        ports.update({f"{p}/tcp": ("127.0.0.1", None) for p in PROXY_PORTS})
        container = start_container(
            docker_client, toxiproxy_image(docker_client), network=network, aliases=["toxiproxy"], ports=ports
        )
        api = ToxiproxyClient(f"http://127.0.0.1:{published_port(container, 8474)}", timeout=5)
        deadline = time.monotonic() + 30
        while True:
            try:
                api.version()
                break
            except ToxiproxyError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield ToxiproxyServer(api, container, network, {p: published_port(container, p) for p in PROXY_PORTS})
    finally:
        if container is not None:
            container.remove(force=True, v=True)
        network.remove()


@pytest.fixture
def toxiproxy(toxiproxy_server):
    """The shared server, emptied after each test."""
    yield toxiproxy_server
    for name in toxiproxy_server.api.proxies():
        toxiproxy_server.api.delete_proxy(name)


@pytest.fixture
def second_host():
    """A second machine: a network namespace reached over a veth pair (run_support.second_host)."""
    from run_support.second_host import second_host_namespace

    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    with second_host_namespace() as host:
        yield host
