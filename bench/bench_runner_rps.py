"""Requests per second of envsim's load runner against plain `locust --headless`.

Same FastHttpUser class, same users, same duration, same target: a minimal keep-alive HTTP
server (asyncio) in its own process. The target is pinned to core 0 and the load generator
(envsim's Locust child, or plain Locust) to core 1, so each side has one core. Prints figures,
asserts nothing; the goal is envsim >= 0.95x plain Locust.

    python bench/bench_runner_rps.py [--users 10] [--duration 8] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOCUSTFILE = """
from locust import FastHttpUser, constant, task

class BenchUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get("/")
"""

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class FixedResponse(asyncio.Protocol):
    """Answers every request head with the same response; requests here have no body."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        count = self.buffer.count(b"\r\n\r\n")
        if count:
            self.buffer = self.buffer[self.buffer.rindex(b"\r\n\r\n") + 4 :]
            self.transport.write(RESPONSE * count)


def serve(port: int) -> None:
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(FixedResponse, "127.0.0.1", port, backlog=1024))
    try:
        loop.run_forever()
    finally:
        server.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pin(core: int) -> None:
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[core % len(cores)]})


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def run_plain(locustfile: Path, url: str, users: int, duration: int) -> float:
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{duration}s",
        "--host",
        url,
        "--only-summary",
        "--json",
        "--loglevel",
        "ERROR",
    ]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, cwd=locustfile.parent)
    elapsed = time.monotonic() - started
    stats = json.loads(done.stdout)
    requests = sum(entry["num_requests"] for entry in stats)
    print(f"  plain locust: {requests} requests in {duration}s  (process {elapsed:.1f}s)")
    return requests / duration


def run_envsim(locustfile: Path, url: str, users: int, duration: int) -> float:
    from envsim.config.scenario_model import LoadSpec
    from envsim.run.load_with_faults import run_load

    load = LoadSpec(users=users, spawn_rate=users, duration=duration, locustfile=locustfile)
    started = time.monotonic()
    result = run_load(load, url)
    elapsed = time.monotonic() - started
    requests = sum(p.requests for p in result.series if p.endpoint == "")
    print(f"  envsim:       {requests} requests in {result.duration:.2f}s  (process {elapsed:.1f}s)")
    return requests / result.duration


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        pin(0)
        serve(args.serve)
        return

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_for_port(port)
        pin(1)  # the load generators (children inherit the affinity)
        url = f"http://127.0.0.1:{port}"
        ratios, plains, envsims = [], [], []
        with tempfile.TemporaryDirectory() as directory:
            locustfile = Path(directory) / "bench_locustfile.py"
            locustfile.write_text(LOCUSTFILE)
            for round_number in range(1, args.rounds + 1):
                print(f"round {round_number}: {args.users} users, {args.duration}s each")
                # Alternate who goes first: the machine may be shared, its load drifts.
                if round_number % 2:
                    plain = run_plain(locustfile, url, args.users, args.duration)
                    envsim = run_envsim(locustfile, url, args.users, args.duration)
                else:
                    envsim = run_envsim(locustfile, url, args.users, args.duration)
                    plain = run_plain(locustfile, url, args.users, args.duration)
                plains.append(plain)
                envsims.append(envsim)
                ratios.append(envsim / plain)
                print(f"  rps plain {plain:.0f}  envsim {envsim:.0f}  ratio {envsim / plain:.3f}")
        print(f"median rps: plain {statistics.median(plains):.0f}, envsim {statistics.median(envsims):.0f}")
        print(
            f"envsim / plain locust rps: median of round ratios {statistics.median(ratios):.3f}x, "
            f"ratio of medians {statistics.median(envsims) / statistics.median(plains):.3f}x "
            f"over {len(ratios)} rounds (goal >= 0.95x)"
        )
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
