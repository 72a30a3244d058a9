"""HTTP faults on a real (non-stub) HTTP service, through the HAProxy the plan puts in front of it
and switched over HAProxy's runtime API.

The issue seen: `http_errors` on a service that is not a stub was refused ("applies to stub
services only"), so a real HTTP dependency failing at a rate could not be simulated.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ok_web_app import OK_APP

from envsim import api
from envsim.engine.docker_engine import labeled_containers, labeled_networks

CONNECTIONS = 4  # the rate faults' many requests, at once


def _profile(directory: Path, name: str) -> Path:
    command = json.dumps(["python", "-c", OK_APP])
    (directory / "profiles").mkdir(parents=True, exist_ok=True)
    path = directory / "profiles" / f"{name}.yaml"
    path.write_text(
        f"envsim: 1\nname: {name}\nservices:\n  app:\n    image: python:3.11-slim\n"
        f"    command: {command}\n    ports: {{http: 8000}}\n    publish: [http]\n"
        f"    health: {{http: /healthz, interval: 1s}}\n"
        "failure_modes:\n"
        "  app-flaky: {target: app, http_errors: {503: 10%}, retry_after: 2s}\n"
        "  app-drops: {target: app, drop: 30%}\n"
        "  app-slow: {target: app, delay: 300ms}\n"
    )
    return path


def _requests(url: str, count: int) -> tuple[Counter, list[float], set[str]]:
    """`count` GETs on one keep-alive connection: outcomes (status or 'dropped'), each request's
    seconds, and the Retry-After values seen."""
    host, port = url.removeprefix("http://").split(":")
    outcomes: Counter = Counter()
    seconds, retry_after = [], set()
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    for _ in range(count):
        started = time.perf_counter()
        try:
            connection.request("GET", "/")
            answer = connection.getresponse()
            answer.read()
            outcomes[answer.status] += 1
            if answer.getheader("Retry-After"):
                retry_after.add(answer.getheader("Retry-After"))
        except (OSError, http.client.HTTPException):
            outcomes["dropped"] += 1
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
        seconds.append(time.perf_counter() - started)
    connection.close()
    return outcomes, seconds, retry_after


def _many_requests(url: str, count: int) -> tuple[Counter, set[str]]:
    """`count` GETs spread over CONNECTIONS keep-alive connections at once: the shares drawn
    are per request, so the counts mean what they do on one connection, in a fraction of the
    time (each request mostly waits on its round trip)."""
    shares = [count // CONNECTIONS + (i < count % CONNECTIONS) for i in range(CONNECTIONS)]
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        parts = list(pool.map(lambda share: _requests(url, share), shares))
    return sum((outcomes for outcomes, _, _ in parts), Counter()), set().union(*(seen for _, _, seen in parts))


@pytest.fixture
def state_env(tmp_path):
    return {**os.environ, "ENVSIM_STATE_DIR": str(tmp_path / "state")}


def test_http_faults_on_a_real_service_switch_at_runtime(tmp_path, state_env):
    name = f"hf-{uuid.uuid4().hex[:8]}"
    client = None
    try:
        with api.up(_profile(tmp_path, name), name, env=state_env) as stack:
            client = stack.engine
            fronts = [c for c in labeled_containers(client, name) if c.labels.get("envsim.role") == "balancer"]
            assert len(fronts) == 1  # one replica, yet an HAProxy in front: it holds the faults
            url = stack.endpoint("app")
            before, _ = _many_requests(url, 200)
            assert before == Counter({200: 200})

            stack.apply_fault("app-flaky")
            assert stack.active_faults() == ["app-flaky"]
            during, retry_after = _many_requests(url, 2000)
            share = during[503] / 2000
            assert 0.07 <= share <= 0.13, during  # 10% configured
            assert set(during) == {200, 503} and retry_after == {"2"}
            stack.clear_fault("app-flaky")
            after, _ = _many_requests(url, 1000)
            assert after == Counter({200: 1000}), after
            assert stack.active_faults() == []

            with stack.fault("app-drops"):
                dropped, _ = _many_requests(url, 1000)
            assert 0.24 <= dropped["dropped"] / 1000 <= 0.36, dropped  # 30% configured

            _, plain, _ = _requests(url, 20)
            with stack.fault("app-slow"):
                outcomes, held, _ = _requests(url, 20)
            assert outcomes == Counter({200: 20})
            assert statistics.median(held) >= 0.3 > statistics.median(plain) + 0.2, (held, plain)
            assert stack.active_faults() == []
    finally:
        api.down(name, env=state_env)
    assert client is not None
    assert labeled_containers(client, name) == [] and labeled_networks(client, name) == []
