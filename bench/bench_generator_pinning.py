"""A CPU-bound app's p95 with the load generator pinned apart from it, against unpinned.

The app: an HTTP server whose every answer costs a few milliseconds of CPU (hashing), in
its own process. Unpinned, the generator (envsim's Locust child) and the app share every
core; pinned (`load.cpus`), the generator gets the first core and the app the others, as
`envsim run` does with the stack's containers. Rounds alternate which goes first (the
machine may be shared; its load drifts). Prints the p95s, their ratio and what the
saturation guard saw; asserts nothing.

    python bench/bench_generator_pinning.py [--users 8] [--duration 15] [--rounds 4] [--work 20000]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_runner_rps import free_port, wait_for_port  # noqa: E402


def serve(port: int, work: int) -> None:
    class Busy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            digest = b"answer"
            for _ in range(work):  # the app's CPU per request
                digest = hashlib.sha256(digest).digest()
            body = digest.hex().encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Busy).serve_forever()


def run_once(url: str, users: int, duration: int, cpus: tuple[int, ...]) -> tuple[float, str]:
    """p95 in seconds over the run, and the saturation guard's view of it."""
    from envsim.config.check_kinds import MetricCheck
    from envsim.config.scenario_model import LoadSpec, LoadTask
    from envsim.journal import Journal
    from envsim.run.load_with_faults import run_load
    from envsim.run.scenario_run import generator_setup
    from envsim.verdict import judge

    task = LoadTask(name="answer", method="GET", path="/")
    load = LoadSpec(users=users, spawn_rate=users, duration=duration, tasks=(task,), cpus=cpus)
    result = run_load(load, url)
    journal = Journal(
        run_id="bench", started_at=result.started_at, ended_at=result.ended_at, duration=result.duration,
        profile="bench", scenario="bench", profile_digest="", scenario_digest="",
        environment={"load_generator": generator_setup(cpus)}, planned_timeline=(),
        checks=(MetricCheck("p95", "below", 60.0),), series=result.series, generator=result.generator,
    )  # fmt: skip
    (check,) = judge(journal).results
    assert check.measured is not None, check.reason
    return check.measured, check.inconclusive or judge(journal).generator


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--work", type=int, default=20000, help="sha256 rounds per answer")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.work)
        return
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        sys.exit("pinning needs two cores")
    port = free_port()
    app = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--work", str(args.work)])
    url = f"http://127.0.0.1:{port}"
    pinned_p95, unpinned_p95, ratios = [], [], []
    try:
        wait_for_port(port)
        for number in range(1, args.rounds + 1):
            print(f"round {number}: {args.users} users, {args.duration}s each")
            order = (True, False) if number % 2 else (False, True)
            measured = {}
            for pinned in order:
                # the app on the cores the generator leaves, as envsim does with the stack's containers
                os.sched_setaffinity(app.pid, set(cores[1:]) if pinned else set(cores))
                p95, seen = run_once(url, args.users, args.duration, (cores[0],) if pinned else ())
                measured[pinned] = p95
                print(f"  {'pinned  ' if pinned else 'unpinned'} p95 {p95 * 1000:.0f}ms  {seen}")
            pinned_p95.append(measured[True])
            unpinned_p95.append(measured[False])
            ratios.append(measured[False] / measured[True])
            print(f"  unpinned / pinned p95: {ratios[-1]:.2f}x")
        print(
            f"median p95: pinned {statistics.median(pinned_p95) * 1000:.0f}ms, "
            f"unpinned {statistics.median(unpinned_p95) * 1000:.0f}ms; unpinned / pinned: median of round "
            f"ratios {statistics.median(ratios):.2f}x over {len(ratios)} rounds"
        )
    finally:
        app.terminate()
        app.wait(5)


if __name__ == "__main__":
    main()
