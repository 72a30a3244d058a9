"""Requests/s through a stub route against a plain `python -m http.server`, same client, same machine.

The stub is a stack from a one-stub profile (`envsim up` through envsim.api): MockServer
behind Toxiproxy, reached at its published (proxied) 127.0.0.1 address as an app reaches it;
also measured at MockServer's own port (no Toxiproxy) to show the proxy's share. The
reference is `python -m http.server` serving a 4-byte file from a temp directory on 127.0.0.1.
The client is the same for all: `--threads` threads of http.client, keep-alive where the
server allows it (http.server speaks HTTP/1.0 and closes: the client reconnects), GET of a
4-byte body for `--seconds` per round. One warm-up of each (not counted), then alternating
rounds; prints medians and ratios to http.server. Asserts nothing; removes its stack.

    python bench/bench_stub_rps.py [--rounds 3] [--seconds 5] [--threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

PROFILE = """
envsim: 1
name: benchrps
services:
  pong:
    stub:
      routes: [{method: GET, path: /ping, body: pong}]
    publish: [http]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hammer(port: int, path: str, seconds: float, threads: int) -> tuple[float, int]:
    """(requests/s answered 200 with the body, errors) over `seconds` from `threads` threads."""
    counts = [0] * threads
    errors = [0] * threads
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        connection = None
        while time.monotonic() < stop:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                if response.status == 200 and body.strip() == b"pong":
                    counts[i] += 1
                else:
                    errors[i] += 1
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                connection.close()
                connection = None
        if connection is not None:
            connection.close()

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(counts) / (time.monotonic() - started), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    from envsim.api import up
    from envsim.engine.docker_engine import host_port

    work = Path(tempfile.mkdtemp(prefix="bench-stub-rps-"))
    (work / ".git").mkdir()
    (work / "profiles").mkdir()
    (work / "profiles/benchrps.yaml").write_text(PROFILE)
    (work / "www").mkdir()
    (work / "www/ping").write_text("pong")
    env = {"ENVSIM_STATE_DIR": str(work / "state"), "PATH": "/usr/bin:/bin"}
    plain_port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(plain_port), "--bind", "127.0.0.1"],
        cwd=work / "www",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stack = up(work / "profiles/benchrps.yaml", f"bench-rps-{uuid.uuid4().hex[:6]}", env=env)
    try:
        proxied = int(stack.endpoint("pong").rsplit(":", 1)[1])
        (stub_container,) = [
            c
            for c in stack.engine.containers.list(filters={"label": f"envsim.stack={stack.name}"})
            if host_port(c, 1080)
        ]
        direct = host_port(stub_container, 1080)
        sides = {
            "http.server": (plain_port, "/ping"),
            "stub via toxiproxy": (proxied, "/ping"),
            "stub direct (no proxy)": (direct, "/ping"),
        }
        print(f"client: {args.threads} threads, {args.seconds:g}s per round, {args.rounds} rounds (+1 warm-up)")
        for port, path in sides.values():
            hammer(port, path, 1.0, args.threads)
        results: dict[str, list[float]] = {side: [] for side in sides}
        errors: dict[str, int] = {side: 0 for side in sides}
        for round_ in range(args.rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                rps, failed = hammer(*sides[side], args.seconds, args.threads)
                results[side].append(rps)
                errors[side] += failed
            print(f"round {round_ + 1}: " + "  ".join(f"{side} {results[side][-1]:.0f}/s" for side in sides))
        reference = statistics.median(results["http.server"])
        for side in sides:
            median = statistics.median(results[side])
            print(
                f"{side:24s} median {median:7.0f} req/s  [{min(results[side]):.0f}-{max(results[side]):.0f}]  "
                f"errors {errors[side]}  ratio to http.server {median / reference:.2f}x"
            )
    finally:
        stack.down()
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
