"""Latency from an HTTP fault's scheduled offset to its rules being active in the HAProxy in
front of a real (non-stub) HTTP service, against a Toxiproxy fault on the same stack.

A one-service stack (`envsim up` through envsim.api: a Python HTTP server, HAProxy in front of
it because a failure mode gives it an HTTP fault, Toxiproxy in front of both) with two failure
modes: `web-503` (http_errors 100%, switched over HAProxy's runtime API) and `web-latency` (a
Toxiproxy latency toxic). One FaultScheduler drives envsim's own switch (StackFaults, the one a
run uses) through interleaved apply/clear pairs of both, so both see the same machine. An
action's latency is the event's `actual - scheduled`: the switch call has returned, i.e. the
map entry is on (HAProxy evaluates it on the next request) or the toxic is in the chain.
Then, outside the timed path, 20 applies of `web-503` verified through the entry point.
Prints p50/p99/max per fault and action (goal: HAProxy's p99 < 50 ms). Asserts nothing;
removes its stack.

    python bench/bench_http_fault_switch_real.py [--switches 100] [--interval 0.05]
"""

from __future__ import annotations

import argparse
import json
import os

from http_fault_bench import lag_line, status_through, throwaway_stack

from envsim.engine.fault_switch import StackFaults
from envsim.journal import TimelineStep
from envsim.run.scheduler import FaultScheduler

APP = (
    "from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer\n"
    "class H(BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        self.send_response(200); self.send_header('Content-Length', '2'); self.end_headers()\n"
    "        self.wfile.write(b'ok')\n"
    "    def log_message(self, *args): pass\n"
    "ThreadingHTTPServer(('0.0.0.0', 8000), H).serve_forever()\n"
)
PROFILE = f"""
envsim: 1
name: benchrealhttpfault
services:
  web:
    image: python:3.11-slim
    command: {json.dumps(["python", "-c", APP])}
    ports: {{http: 8000}}
    publish: [http]
    health: {{http: /, interval: 1s}}
failure_modes:
  web-503: {{target: web, http_errors: {{503: 100%}}}}
  web-latency: {{target: web, latency: 100ms}}
"""
FAULTS = ("web-503", "web-latency")


def timeline(switches: int, interval: float) -> list[TimelineStep]:
    """Pairs of each fault in turn, never overlapping: apply at 2i*interval, clear half way."""
    return [
        TimelineStep(FAULTS[i % 2], 0.5 + 2 * i * interval, 0.5 + 2 * i * interval + interval)
        for i in range(2 * switches)
    ]


def report(events: list) -> None:
    for fault, mechanism in zip(FAULTS, ("HAProxy runtime API", "Toxiproxy toxic")):
        for label, chosen in (("apply", "applied"), ("clear", "removed")):
            lags = [(e.actual - e.scheduled) * 1000 for e in events if e.fault == fault and e.action == chosen]
            print(lag_line(f"{fault:12s} ({mechanism:19s}) {label:5s}", lags))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=100, help="apply+clear pairs of each fault")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between switches")
    args = parser.parse_args()

    with throwaway_stack("benchrealhttpfault", PROFILE, "bench-realhttp") as stack:
        handle = stack.handle
        switch = StackFaults(stack.engine, stack.faults, handle.toxiproxy_urls, front_apis=handle.front_apis)
        scheduler = FaultScheduler(timeline(args.switches, args.interval), switch)
        scheduler.start()
        scheduler.wait(60 + 4 * args.switches * args.interval)
        scheduler.revert_all()
        events = scheduler.events
        failed = [e for e in events if e.action == "failed"]
        print(
            f"stack {stack.name}: {args.switches} apply/clear pairs of each fault every {args.interval:g}s; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        report(events)
        seen = []
        for _ in range(20):  # outside the timed path: the first request after apply returns
            switch.apply("web-503")
            seen.append(status_through(stack.endpoint("web"), "/"))
            switch.clear("web-503")
        after = status_through(stack.endpoint("web"), "/")
        print(
            f"failed switch calls: {len(failed)}; first request after apply returned: {seen.count(503)} of "
            f"{len(seen)} answered 503, after clear: {after}; faults active at the end: {switch.active()}  "
            "(goal: HAProxy p99 < 50 ms)"
        )


if __name__ == "__main__":
    main()
