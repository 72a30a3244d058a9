"""Latency from an HTTP fault's scheduled offset to its chaos being active in a real stub.

A one-stub stack (`envsim up` through envsim.api: MockServer 7.6 behind Toxiproxy) with an
`http_errors` failure mode; a FaultScheduler drives envsim's own switch (StackFaults, the
one a run uses) through `--switches` apply/clear pairs. An action's latency is the event's
`actual - scheduled`: the switch call has returned, i.e. MockServer holds the fault's chaos
twins (with their time-to-live) and answers with them. Then, outside the timed path, 10
applies verified through the stub: with 100% 503 the next call through Toxiproxy gets 503. Prints
p50/p99/max per action (goal p99 < 50 ms). Asserts nothing; removes its stack.

    python bench/bench_http_fault_switch.py [--switches 100] [--interval 0.1]
"""

from __future__ import annotations

import argparse
import os

from http_fault_bench import lag_line, status_through, throwaway_stack

from envsim.engine.fault_switch import StackFaults
from envsim.journal import TimelineStep
from envsim.run.scheduler import FaultScheduler

PROFILE = """
envsim: 1
name: benchhttpfault
services:
  pay:
    stub:
      routes: [{method: GET, path: /ping, body: pong}]
    publish: [http]
failure_modes:
  pay-down: {target: pay, http_errors: {503: 100%}, retry_after: 1s}
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--switches", type=int, default=100, help="apply+clear pairs")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between switches")
    args = parser.parse_args()

    with throwaway_stack("benchhttpfault", PROFILE, "bench-httpfault") as stack:
        window = args.interval
        switch = StackFaults(
            stack.engine,
            stack.faults,
            stack.handle.toxiproxy_urls,
            stub_urls=stack.handle.stub_urls,
            windows={"pay-down": window},
        )
        for _ in range(3):  # warm-up: the JVM's first upserts are slow and not what a run sees mid-load
            switch.apply("pay-down")
            switch.clear("pay-down")
        timeline = [
            TimelineStep("pay-down", 0.5 + 2 * i * args.interval, 0.5 + 2 * i * args.interval + window)
            for i in range(args.switches)
        ]
        scheduler = FaultScheduler(timeline, switch)
        scheduler.start()
        scheduler.wait(60 + 2 * args.switches * args.interval)
        scheduler.revert_all()
        events = scheduler.events
        failed = [e for e in events if e.action == "failed"]
        print(
            f"stub stack {stack.name}: {args.switches} apply/clear pairs every {args.interval:g}s; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        for label, chosen in (("apply", "applied"), ("clear", "removed"), ("all", None)):
            lags = [
                (e.actual - e.scheduled) * 1000
                for e in events
                if e.action == chosen or (chosen is None and e.action != "failed")
            ]
            print(lag_line(f"{label:5s}", lags))
        # outside the timed path: right after apply returns, the next call through the stub gets 503
        seen = []
        for _ in range(10):
            switch.apply("pay-down")
            seen.append(status_through(stack.endpoint("pay"), "/ping"))
            switch.clear("pay-down")
        after = status_through(stack.endpoint("pay"), "/ping")
        print(
            f"failed switch calls: {len(failed)}; first call through the stub after apply returned: "
            f"{seen.count(503)} of {len(seen)} answered 503, after clear: {after}; "
            f"faults active at the end: {switch.active()}  (goal p99 < 50 ms)"
        )


if __name__ == "__main__":
    main()
