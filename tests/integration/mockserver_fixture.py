"""A real MockServer container for integration tests: its own labelled network, port 1080
published on 127.0.0.1 only, and a count of what is left in the engine when it is removed.

Use it from a test module with `from mockserver_fixture import mockserver, mockserver_server`.
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass

import pytest

ADMIN_PORT = 1080


@dataclass(frozen=True)
class MockServerContainer:
    api: object  # envsim.engine.mockserver_client.MockServerClient
    container: object
    network: object
    port: int  # host port on 127.0.0.1 for both the admin API and mocked requests
    labels: dict  # put on anything a test adds to the network, so the leftover count sees it


@pytest.fixture(scope="session")
def mockserver_server(docker_client):
    """One MockServer for the session, on a network labelled with this session's id."""
    import docker.errors

    from envsim.engine.mockserver_client import STUB_SERVER_ENV, MockServerClient, MockServerError
    from envsim.images import PlainProgress, ensure_images, mockserver_image, mockserver_requirement

    ensure_images([mockserver_requirement()], docker_client, PlainProgress(sys.stderr))
    session = uuid.uuid4().hex[:10]
    labels = {"envsim.managed": "true", "envsim.test": "true", "envsim.test.mockserver": session}
    network = docker_client.networks.create(f"envsim-test-{session}", labels=labels)
    container = None
    try:
        container = docker_client.containers.create(
            mockserver_image(docker_client),
            name=f"envsim-test-mockserver-{session}",
            labels=labels,
            ports={f"{ADMIN_PORT}/tcp": ("127.0.0.1", None)},
            environment=STUB_SERVER_ENV,
        )
        network.connect(container, aliases=["mockserver"])
        container.start()
        port = _published_port(container)
        api = MockServerClient(f"http://127.0.0.1:{port}", timeout=5)
        deadline = time.monotonic() + 60
        while True:
            try:
                api.status()
                break
            except MockServerError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"MockServer did not answer within 60s:\n{container.logs()[-2000:]!r}"
                    ) from None
                time.sleep(0.1)
        _load_the_expectation_validator(port)
        yield MockServerContainer(api, container, network, port, labels)
    finally:
        if container is not None:
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        network.remove()
    selector = {"label": f"envsim.test.mockserver={session}"}
    left = {
        "containers": len(docker_client.containers.list(all=True, filters=selector)),
        "networks": len(docker_client.networks.list(filters=selector)),
    }
    assert left == {"containers": 0, "networks": 0}, f"MockServer test left {left} behind"


@pytest.fixture
def mockserver(mockserver_server):
    """The shared server with no expectations, journal or chaos left from earlier tests."""
    mockserver_server.api.reset()
    yield mockserver_server
    mockserver_server.api.reset()


def _load_the_expectation_validator(port: int) -> None:
    """MockServer loads its JSON schema validator on the first expectation it takes: past the
    tests' 5 s timeout on a busy machine (as envsim's own stub loading allows for). One
    expectation taken and cleared here, before any test, leaves the tests' calls their usual time."""
    from envsim.engine.mockserver_client import MockServerClient
    from envsim.engine.stubs import LOAD_TIMEOUT
    from envsim.plan.mockserver_expectations import Expectation, RequestMatcher, Response

    api = MockServerClient(f"http://127.0.0.1:{port}", timeout=LOAD_TIMEOUT)
    api.upsert(Expectation(RequestMatcher("GET", "/envsim-warm-up"), Response(204), id="envsim-warm-up"))
    api.reset()


def _published_port(container) -> int:
    deadline = time.monotonic() + 10
    while True:
        container.reload()
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get(f"{ADMIN_PORT}/tcp")
        if bindings:
            return int(bindings[0]["HostPort"])
        if time.monotonic() > deadline:
            raise AssertionError(f"port {ADMIN_PORT} of {container.name} is not published")
        time.sleep(0.1)
