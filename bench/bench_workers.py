"""Locust's distributed mode through envsim: requests/s with 1, 2 and 4 workers against one
process, and many mostly-waiting users held across workers.

Same FastHttpUser class (a locustfile, no wait) against the same minimal keep-alive server
as bench_runner_rps (its own process). Each round runs every configuration once, in a
rotating order (the machine may be shared; its load drifts), so the ratios are measured in
the same run. On a machine with C cores, more than C - 1 workers (the target takes one)
cannot add requests/s; the figures show where that sets in.

`--hold` instead starts that many users waiting 5-15 s between requests across
`--hold-workers` workers (at `--hold-spawn-rate` users/s) and holds them for `--hold-duration`
seconds. It prints envsim's own peak memory (this process: the run loop and the journal), the
Locust processes' peak, the size of the journal such a run keeps, each Locust process's CPU
and wait for a core, the load average, whether every user ran through the hold with no worker
lost (else NOT HELD and why), and what the saturation guard says of the run. The target
raises its open-file limit for a socket per user. Prints figures, asserts nothing.

    python bench/bench_workers.py [--users 20] [--duration 8] [--rounds 3]
    python bench/bench_workers.py --hold 1000 [--hold-workers 2] [--hold-duration 60] [--hold-spawn-rate 200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_runner_rps import free_port, serve, wait_for_port

from envsim.journal import Journal
from envsim.run.open_files import raise_open_file_limit
from envsim.verdict.saturation import RAMP_SLACK, window_saturation
from envsim.verdict.worker_loss import worker_loss_reasons

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
    locustfile = user_file(directory, WAITING_USER)
    started, load_before = time.monotonic(), os.getloadavg()
    ramp = int(args.hold / args.hold_spawn_rate + 0.999)  # the users are all there after it
    result = run(locustfile, url, args.hold, ramp + args.hold_duration, args.hold_workers, args.hold_spawn_rate)
    elapsed, load_after = time.monotonic() - started, os.getloadavg()
    journal = bench_journal(result)
    running = {p.t: p.users for p in result.series if p.endpoint == ""}
    held = [running.get(t, 0) for t in range(ramp + RAMP_SLACK, ramp + args.hold_duration)]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"{args.hold} waiting users on {args.hold_workers} workers ({args.hold_spawn_rate:g}/s): "
        f"{min(held, default=0)}-{max(held, default=0)} users over the {len(held)} s held, "
        f"{rps(result):.0f} rps, {result.duration:.0f}s of load ({elapsed:.0f}s in all), error {result.error}"
    )
    print(f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after ({os.cpu_count()} cores)")
    print(f"envsim peak RSS {own:.0f} MiB; largest Locust process peak RSS {children:.0f} MiB")
    print(
        f"journal {len(journal.to_json()) / 1024:.0f} KiB as written; largest parts, KiB of compact JSON: {journal_parts(journal)}"
    )
    for line in process_cpu(result.generator):
        print(line)
    peaks: dict[str, int] = {}
    for sample in result.worker_seconds:
        peaks[sample.worker] = max(peaks.get(sample.worker, 0), sample.users)
    print(f"peak users per worker {peaks}; workers lost {[(loss.worker, loss.t) for loss in result.worker_losses]}")
    lost = worker_loss_reasons(journal)
    if min(held, default=0) != args.hold or max(held, default=0) != args.hold or lost:
        print("NOT HELD: " + ("; ".join(lost) or f"{min(held, default=0)}-{max(held, default=0)} users ran"))
    else:
        print(f"held: all {args.hold} users through the {len(held)} s, no worker lost")
    print("saturation guard: " + (window_saturation(journal, "run").reason or "the load generator held up"))


def bench_journal(result: Any) -> Journal:
    """The journal a run of this load would keep (its checks aside), for its size and the guard."""
    return Journal(
        "bench", result.started_at, result.ended_at, result.duration, "bench", "bench", "", "", {}, (), (),
        series=result.series, worker_seconds=result.worker_seconds, worker_losses=result.worker_losses,
        generator=result.generator,
    )  # fmt: skip


def journal_parts(journal: Journal) -> str:
    """The journal's largest parts and their sizes in KiB."""
    sizes = {name: len(json.dumps(value)) / 1024 for name, value in journal.to_dict().items()}
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:4]
    return ", ".join(f"{name} {size:.0f}" for name, size in largest)


def process_cpu(samples: Any) -> list[str]:
    """Each Locust process's mean and peak CPU, and its mean wait for a core, in % of one core."""
    readings: dict[str, list[tuple[float, float]]] = {}
    for sample in samples:
        for role, _, cpu, waited in sample.processes:
            readings.setdefault(role, []).append((cpu, waited))
    host = statistics.mean(s.host_cpu for s in samples) if samples else 0.0
    lines = [f"machine CPU mean {host:.0f}%"]
    for role, values in readings.items():
        cpu, waited = [c for c, _ in values], [w for _, w in values]
        lines.append(
            f"  {role}: CPU mean {statistics.mean(cpu):.0f}% peak {max(cpu):.0f}%, "
            f"waited for a core mean {statistics.mean(waited):.0f}% peak {max(waited):.0f}%"
        )
    return lines


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
        raise_open_file_limit(args.hold or 0)  # a socket per user here too
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--hold", str(args.hold or 0)])
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
