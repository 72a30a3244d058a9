"""Latency from a fault's scheduled offset to its toxic being active in a real Toxiproxy.

Runs toxiproxy-server on 127.0.0.1 ($TOXIPROXY_SERVER, else the one scripts/test-setup.sh builds
into envsim's cache, else PATH), a proxy in front of a local listener, and a FaultScheduler whose
switch adds/removes a latency toxic through envsim.engine.toxiproxy_client. An action's
latency is the event's `actual - scheduled`: the switch call has returned, i.e. Toxiproxy
has the toxic in the proxy's chain. Prints p50/p99 (goal p99 < 50 ms), asserts nothing.

    python bench/bench_fault_switch.py [--switches 100] [--interval 0.05]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import time

from envsim.engine.toxiproxy_client import Proxy, Toxic, ToxiproxyClient, ToxiproxyError
from envsim.images.host import cache_dir
from envsim.images.requirements import TOXIPROXY_VERSION
from envsim.journal import TimelineStep
from envsim.run.scheduler import FaultScheduler


def find_binary() -> str:
    for candidate in (
        os.environ.get("TOXIPROXY_SERVER"),
        str(cache_dir() / "toxiproxy" / TOXIPROXY_VERSION / "toxiproxy-server"),
        shutil.which("toxiproxy-server"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("no toxiproxy-server binary: set TOXIPROXY_SERVER")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LatencyToxicSwitch:
    def __init__(self, api: ToxiproxyClient, proxy: str):
        self.api, self.proxy = api, proxy

    def apply(self, name: str) -> None:
        self.api.add_toxic(self.proxy, Toxic("latency", {"latency": 100}, name=name))

    def clear(self, name: str) -> None:
        self.api.remove_toxic(self.proxy, name)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=100, help="apply+clear pairs")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between switches")
    args = parser.parse_args()

    api_port = free_port()
    server = subprocess.Popen(
        [find_binary(), "-host", "127.0.0.1", "-port", str(api_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    upstream = socket.create_server(("127.0.0.1", 0))
    try:
        api = ToxiproxyClient(f"http://127.0.0.1:{api_port}", timeout=5)
        deadline = time.monotonic() + 15
        while True:
            try:
                print(f"toxiproxy {api.version()} on 127.0.0.1:{api_port}")
                break
            except ToxiproxyError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        api.create_proxy(Proxy("bench", f"127.0.0.1:{free_port()}", f"127.0.0.1:{upstream.getsockname()[1]}"))

        timeline = [
            TimelineStep("slow", 0.2 + 2 * i * args.interval, 0.2 + 2 * i * args.interval + args.interval)
            for i in range(args.switches)
        ]
        scheduler = FaultScheduler(timeline, LatencyToxicSwitch(api, "bench"))
        scheduler.start()
        scheduler.wait(60 + 2 * args.switches * args.interval)
        scheduler.revert_all()
        events = scheduler.events
        failed = [e for e in events if e.action == "failed"]
        for label, chosen in (("apply", "applied"), ("clear", "removed"), ("all", None)):
            lags = [
                (e.actual - e.scheduled) * 1000
                for e in events
                if e.action == chosen or (chosen is None and e.action != "failed")
            ]
            print(
                f"{label:5s} n={len(lags):3d}  p50 {statistics.median(lags):6.2f} ms  "
                f"p99 {percentile(lags, 0.99):6.2f} ms  max {max(lags):6.2f} ms"
            )
        print(f"failed switch calls: {len(failed)}; toxics left: {len(api.toxics('bench'))}  (goal p99 < 50 ms)")
    finally:
        upstream.close()
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
