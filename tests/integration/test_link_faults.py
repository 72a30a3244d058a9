"""Packet loss and link bandwidth on a real container, through a helper in its network
namespace: the effect measured from the host, and nothing left in the namespace after clearing."""

from __future__ import annotations

import time
import urllib.request

import pytest

from envsim.config.fault_kinds.link import LinkStep, chain_name
from envsim.engine.fault_switch import StackFaults
from envsim.plan.faults import NET_HELPER_IMAGE, FaultPlan
from tests.integration.conftest import published_port, wait_for_tcp

pytestmark = pytest.mark.integration

# A file server whose body is a megabyte (10^6 bytes would do; 2^20 is what people call one)
SERVER = [
    "python3",
    "-c",
    "import http.server, os\n"
    "os.chdir('/tmp'); open('/tmp/mb', 'wb').write(os.urandom(1 << 20)); open('/tmp/small', 'w').write('ok')\n"
    "http.server.ThreadingHTTPServer(('', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()\n",
]


@pytest.fixture
def file_server(run_container, prepared_images):
    # by id: on a fresh machine the Python image is a stand-in under envsim's own name only
    server = run_container(prepared_images["python:3.11-slim"], command=SERVER, ports={"8000/tcp": ("127.0.0.1", None)})
    port = published_port(server, 8000)
    wait_for_tcp(port)
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/small", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    return server, f"http://127.0.0.1:{port}"


def _switch(docker_client, fault: str, step: LinkStep) -> StackFaults:
    return StackFaults(docker_client, {fault: FaultPlan(fault, "server", (step,))}, {}, windows={fault: 120.0})


def _namespace_rules(docker_client, container) -> str:
    """iptables rules and qdiscs in the container's network namespace, read by a one-shot helper."""
    output = docker_client.containers.run(
        NET_HELPER_IMAGE,
        ["sh", "-c", "iptables -S; tc qdisc show"],
        network_mode=f"container:{container.id}",
        cap_add=["NET_ADMIN"],
        labels={"envsim.test": "true"},
        remove=True,
    )
    return output.decode()


def _fetch_seconds(url: str, timeout: float = 10.0) -> float:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            answer.read()
    except OSError:
        return timeout  # lost for good counts as the slowest possible answer
    return time.monotonic() - started


def _slow_share(url: str, count: int, slow: float = 0.2) -> float:
    return sum(_fetch_seconds(url) > slow for _ in range(count)) / count


def test_link_bandwidth_limits_a_megabyte_to_about_eight_seconds(docker_client, file_server):
    server, url = file_server
    fault = "narrow"
    step = LinkStep(server.name, f"{server.name}-net-{fault}", chain_name(fault), None, 1_000_000)
    switch = _switch(docker_client, fault, step)
    before = _fetch_seconds(f"{url}/mb")
    try:
        note = switch.apply(fault)
        assert note == "tbf"
        assert "tbf" in _namespace_rules(docker_client, server)
        limited = _fetch_seconds(f"{url}/mb", timeout=30)
    finally:
        switch.clear(fault)
    after = _fetch_seconds(f"{url}/mb")
    # 2^20 bytes at 10^6 bit/s is 8.4 s of payload, plus TCP/IP headers
    assert 7.5 <= limited <= 11.0, f"1 MB took {limited:.2f}s at 1mbit (unlimited: {before:.2f}s)"
    assert after < 1.0, f"1 MB still took {after:.2f}s after clearing"
    rules = _namespace_rules(docker_client, server)
    assert "tbf" not in rules and "envsim" not in rules
    assert not docker_client.containers.list(all=True, filters={"name": step.helper})


def test_packet_loss_shows_as_retransmission_latency_and_ends_when_cleared(docker_client, file_server):
    server, url = file_server
    fault = "lossy"
    step = LinkStep(server.name, f"{server.name}-net-{fault}", chain_name(fault), 0.3, None)
    switch = _switch(docker_client, fault, step)
    assert _slow_share(f"{url}/small", 20) == 0.0, "the server is slow before any fault"
    try:
        note = switch.apply(fault)
        rules = _namespace_rules(docker_client, server)
        if note == "iptables statistic":
            assert f"-A {step.chain} -m statistic --mode random --probability 0.29" in rules
        else:
            assert note == "netem" and "netem" in rules
        assert switch.active() == [fault]
        # a lost SYN or segment costs a retransmission timeout (200 ms at least, 1 s for a SYN)
        lossy = _slow_share(f"{url}/small", 40)
    finally:
        switch.clear(fault)
    assert lossy >= 0.15, f"only {lossy:.0%} of requests were slowed by 30% packet loss"
    assert _slow_share(f"{url}/small", 20) == 0.0, "requests are still slow after clearing"
    rules = _namespace_rules(docker_client, server)
    assert "envsim" not in rules and "statistic" not in rules
    assert switch.active() == []


def test_a_helper_reverts_its_rules_when_its_time_to_live_runs_out(docker_client, file_server):
    server, _ = file_server
    fault = "brief"
    step = LinkStep(server.name, f"{server.name}-net-{fault}", chain_name(fault), 0.5, None)
    switch = StackFaults(docker_client, {fault: FaultPlan(fault, "server", (step,))}, {})
    try:
        switch.apply(fault, duration=1.0)  # lives 1 s + its margin of 5 s
        rules = _namespace_rules(docker_client, server)
        assert step.chain in rules or "netem" in rules
        deadline = time.monotonic() + 15
        while switch.active() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert switch.active() == [], "the helper outlived its time-to-live"
        assert "envsim" not in _namespace_rules(docker_client, server)
    finally:
        switch.clear(fault)
