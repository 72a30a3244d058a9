"""Stub ready time against Toxiproxy's, in the same run on the same engine.

A stub is ready when its MockServer serves an expectation: from `containers.run` (create +
start) until an expectation loaded through the admin API answers a request with its body.
Toxiproxy is ready when its API answers (GET /version), from its own `containers.run`. Both
containers are run as envsim runs them (the images envsim chooses, MockServer with envsim's
stub environment, Toxiproxy with -host/-port), ports published on 127.0.0.1 only, polled
every 20 ms. Alternating rounds after one warm-up of each (not counted); prints medians,
the ratio stub/Toxiproxy and the spread. Asserts nothing; removes its containers.

    python bench/bench_stub_ready.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import time
import uuid

from envsim.engine.docker_engine import connect, host_port
from envsim.engine.mockserver_client import MockServerClient, MockServerError
from envsim.engine.toxiproxy_client import ToxiproxyClient, ToxiproxyError
from envsim.images.ensure import mockserver_image, toxiproxy_image
from envsim.plan.mockserver_expectations import Expectation, RequestMatcher, Response
from envsim.plan.stubs import STUB_CONTAINER_PORT, STUB_SERVER_ENV

LABEL = {"envsim.bench": "stub-ready"}
POLL = 0.02
DEADLINE = 180.0


def _published(container, port: int) -> int:
    while (published := host_port(container, port)) is None:
        time.sleep(POLL)
    return published


def _served(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/bench-ready")
        response = connection.getresponse()
        return response.status == 200 and response.read() == b"bench-ready"
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def stub_ready(client, image: str) -> float:
    started = time.monotonic()
    container = client.containers.run(
        image,
        detach=True,
        environment=dict(STUB_SERVER_ENV),
        labels=LABEL,
        name=f"bench-stub-ready-{uuid.uuid4().hex[:8]}",
        ports={f"{STUB_CONTAINER_PORT}/tcp": ("127.0.0.1", None)},
    )
    try:
        port = _published(container, STUB_CONTAINER_PORT)
        admin = MockServerClient(f"http://127.0.0.1:{port}", timeout=2.0)
        loaded = False
        while time.monotonic() - started < DEADLINE:
            try:
                if not loaded:
                    admin.upsert(
                        Expectation(
                            RequestMatcher("GET", "/bench-ready"), Response(200, body="bench-ready"), id="bench-ready"
                        )
                    )
                    loaded = True
                if _served(port):
                    return time.monotonic() - started
            except (MockServerError, OSError):
                pass
            time.sleep(POLL)
        raise SystemExit("MockServer did not serve its expectation in time")
    finally:
        container.remove(force=True, v=True)


def toxiproxy_ready(client, image: str) -> float:
    started = time.monotonic()
    container = client.containers.run(
        image,
        command=["-host=0.0.0.0", "-port=8474"],
        detach=True,
        labels=LABEL,
        name=f"bench-toxi-ready-{uuid.uuid4().hex[:8]}",
        ports={"8474/tcp": ("127.0.0.1", None)},
    )
    try:
        api = ToxiproxyClient(f"http://127.0.0.1:{_published(container, 8474)}", timeout=2.0)
        while time.monotonic() - started < DEADLINE:
            try:
                api.version()
                return time.monotonic() - started
            except (ToxiproxyError, OSError):
                time.sleep(POLL)
        raise SystemExit("Toxiproxy did not answer in time")
    finally:
        container.remove(force=True, v=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    client = connect(timeout=120)
    stub_image, toxi_image = mockserver_image(client), toxiproxy_image(client)
    print(f"images: stub {stub_image}, toxiproxy {toxi_image}; rounds {args.rounds} (+1 warm-up each)")
    stub_ready(client, stub_image), toxiproxy_ready(client, toxi_image)
    stubs: list[float] = []
    toxis: list[float] = []
    try:
        for round_ in range(args.rounds):
            pair = [("stub", stub_ready), ("toxiproxy", toxiproxy_ready)]
            for side, measure in pair if round_ % 2 == 0 else reversed(pair):
                value = measure(client, stub_image if side == "stub" else toxi_image)
                (stubs if side == "stub" else toxis).append(value)
            print(f"round {round_ + 1}: stub {stubs[-1]:.2f}s  toxiproxy {toxis[-1]:.2f}s")
    finally:
        left = client.containers.list(all=True, filters={"label": "envsim.bench=stub-ready"})
        for container in left:
            container.remove(force=True, v=True)
    stub, toxi = statistics.median(stubs), statistics.median(toxis)
    print(f"stub ready (start -> first expectation served): median {stub:.2f}s  [{min(stubs):.2f}-{max(stubs):.2f}]")
    print(f"toxiproxy ready (start -> API answers):          median {toxi:.2f}s  [{min(toxis):.2f}-{max(toxis):.2f}]")
    print(f"ratio stub/toxiproxy: {stub / toxi:.1f}x")


if __name__ == "__main__":
    main()
