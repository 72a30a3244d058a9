"""A Toxiproxy server binary run on 127.0.0.1 for scheduler tests, and a latency FaultSwitch.

The binary is looked up at $TOXIPROXY_SERVER, then in envsim's cache (where
scripts/test-setup.sh builds it for the Toxiproxy image), then on PATH.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

from envsim.engine.toxiproxy_client import Proxy, Toxic, ToxiproxyClient, ToxiproxyError
from envsim.images.host import cache_dir
from envsim.images.requirements import TOXIPROXY_VERSION


def find_toxiproxy_binary() -> str | None:
    candidates = [
        os.environ.get("TOXIPROXY_SERVER"),
        str(cache_dir() / "toxiproxy" / TOXIPROXY_VERSION / "toxiproxy-server"),
        shutil.which("toxiproxy-server"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalToxiproxy:
    def __init__(self, binary: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "-host", "127.0.0.1", "-port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.api = ToxiproxyClient(f"http://127.0.0.1:{self.port}", timeout=5)
        deadline = time.monotonic() + 15
        while True:
            try:
                self.api.version()
                break
            except ToxiproxyError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise
                time.sleep(0.05)

    def proxy_to(self, name: str, upstream_port: int) -> int:
        """A proxy listening on a free 127.0.0.1 port in front of 127.0.0.1:upstream_port."""
        listen = free_port()
        self.api.create_proxy(Proxy(name, f"127.0.0.1:{listen}", f"127.0.0.1:{upstream_port}"))
        return listen

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> LocalToxiproxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LatencySwitch:
    """FaultSwitch: a fault name maps to a latency toxic on one proxy; clear is idempotent."""

    def __init__(self, api: ToxiproxyClient, proxy: str, latency_ms: int):
        self.api, self.proxy, self.latency_ms = api, proxy, latency_ms

    def apply(self, name: str) -> None:
        self.api.add_toxic(self.proxy, Toxic("latency", {"latency": self.latency_ms}, name=name))

    def clear(self, name: str) -> None:
        try:
            self.api.remove_toxic(self.proxy, name)
        except ToxiproxyError as exc:
            if exc.status != 404:
                raise
