"""Locust's distributed mode through envsim: requests/s with 1, 2 and 4 workers against one
process, and many mostly-waiting users held across workers.

Same FastHttpUser class (a locustfile, no wait) against the same minimal keep-alive server
as bench_runner_rps (its own process). Each round runs every configuration once, in a
rotating order (the machine may be shared; its load drifts), so the ratios are measured in
the same run. `--hold` instead starts that many users waiting 5-15 s between requests across
`--hold-workers` workers (at `--hold-spawn-rate` users/s) and holds them for `--hold-duration`
seconds, and prints envsim's own peak memory
(this process: the run loop and the journal), the Locust processes' peak, and the journal's
size. Prints figures, asserts nothing. On a machine with C cores, more than C - 1 workers
(the target takes one) cannot add requests/s; the figures show where that sets in.

    python bench/bench_workers.py [--users 20] [--duration 8] [--rounds 3]
    python bench/bench_workers.py --hold 1000 [--hold-workers 2] [--hold-duration 60] [--hold-spawn-rate 200]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_runner_rps import free_port, serve, wait_for_port

BUSY_USER = """
from locust import FastHttpUser, constant, task

class BenchUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get("/")
"""
WAITING_USER = BUSY_USER.replace("constant", "between").replace("between(0)", "between(5, 15)")
WORKER_COUNTS = (0, 1, 2, 4)  # 0: one process, no master


def user_file(directory: Path, text: str) -> Path:
    path = directory / f"user_{abs(hash(text))}.py"
    path.write_text(text)
    return path


def run(locustfile: Path, url: str, users: int, duration: int, workers: int, spawn_rate: float):
    from envsim.config.scenario_model import LoadSpec
    from envsim.run.load_with_faults import run_load

    load = LoadSpec(users=users, spawn_rate=spawn_rate, duration=duration, locustfile=locustfile, workers=workers)
    return run_load(load, url)


def rps(result) -> float:
    requests = sum(p.requests for p in result.series if p.endpoint == "")
    return requests / result.duration


def compare(url: str, directory: Path, args: argparse.Namespace) -> None:
    locustfile = user_file(directory, BUSY_USER)
    figures: dict[int, list[float]] = {n: [] for n in WORKER_COUNTS}
    ratios: dict[int, list[float]] = {n: [] for n in WORKER_COUNTS[1:]}
    for round_number in range(args.rounds):
        order = WORKER_COUNTS[round_number % 4 :] + WORKER_COUNTS[: round_number % 4]
        measured = {}
        for workers in order:
            measured[workers] = rps(run(locustfile, url, args.users, args.duration, workers, args.users))
            figures[workers].append(measured[workers])
        for workers in ratios:
            ratios[workers].append(measured[workers] / measured[0])
        line = "  ".join(f"{_label(n)} {measured[n]:.0f}" for n in WORKER_COUNTS)
        print(f"round {round_number + 1}: rps {line}", flush=True)
    for workers in WORKER_COUNTS:
        extra = f"  ratio to one process {statistics.median(ratios[workers]):.2f}x" if workers else ""
        print(f"{_label(workers)}: median {statistics.median(figures[workers]):.0f} rps{extra}")


def hold(url: str, directory: Path, args: argparse.Namespace) -> None:
    from envsim.journal import Journal

    locustfile = user_file(directory, WAITING_USER)
    started = time.monotonic()
    ramp = int(args.hold / args.hold_spawn_rate + 0.999)  # the users are all there after it
    result = run(locustfile, url, args.hold, ramp + args.hold_duration, args.hold_workers, args.hold_spawn_rate)
    elapsed = time.monotonic() - started
    journal = Journal(
        "bench", result.started_at, result.ended_at, result.duration, "bench", "bench", "", "", {}, (), (),
        series=result.series, worker_seconds=result.worker_seconds, worker_losses=result.worker_losses,
    )  # fmt: skip
    users = max((p.users for p in result.series if p.endpoint == ""), default=0)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"{args.hold} waiting users on {args.hold_workers} workers: peak {users} users held, "
        f"{rps(result):.0f} rps, {result.duration:.0f}s of load ({elapsed:.0f}s in all), error {result.error}"
    )
    print(f"envsim peak RSS {own:.0f} MiB; largest Locust process peak RSS {children:.0f} MiB")
    print(f"journal {len(journal.to_json()) / 1024:.0f} KiB ({len(result.worker_seconds)} worker-seconds)")
    peaks: dict[str, int] = {}
    for sample in result.worker_seconds:
        peaks[sample.worker] = max(peaks.get(sample.worker, 0), sample.users)
    print(f"peak users per worker {peaks}; workers lost {[(loss.worker, loss.t) for loss in result.worker_losses]}")


def _label(workers: int) -> str:
    return "one process" if workers == 0 else f"{workers} worker{'s' if workers > 1 else ''}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hold", type=int, help="users to hold instead of comparing requests/s")
    parser.add_argument("--hold-workers", type=int, default=2)
    parser.add_argument("--hold-duration", type=int, default=60, help="seconds all users are held, after the ramp")
    parser.add_argument("--hold-spawn-rate", type=float, default=200.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_for_port(port)
        with tempfile.TemporaryDirectory() as directory:
            if args.hold:
                hold(f"http://127.0.0.1:{port}", Path(directory), args)
            else:
                compare(f"http://127.0.0.1:{port}", Path(directory), args)
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
