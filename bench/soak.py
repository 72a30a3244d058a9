"""Soak: steady load for a long time with a fault every 2 minutes, watching envsim itself.

Prints envsim's own memory over time (the `envsim run` process and its Locust processes, RSS
sampled every 10 s) and the journal's size against the run's length and request count: memory
should be flat after warm-up, and the journal should grow with time, not with requests. When
the run fails it still prints what it collected, and the tail of envsim's output.

    python bench/soak.py [--minutes 30] [--users 20]

Needs the Docker engine and images the tests use (scripts/test-setup.sh). Asserts nothing about
the figures; exits 1 when the run itself failed (no journal, or an exit other than 0 or 1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAULTS = ("db-slow", "cache-down", "db-bandwidth")
SAMPLE_EVERY = 10  # seconds between RSS samples


def scenario(minutes: float, users: int) -> str:
    steps = [
        f"  - {{at: {at}s, for: 30s, fault: {FAULTS[i % len(FAULTS)]}}}"
        for i, at in enumerate(range(60, int(minutes * 60) - 30, 120))
    ]
    return "\n".join(
        [
            "envsim: 1",
            "profile: prod-like",
            "load:",
            "  target: api",
            f"  users: {users}",
            f"  spawn_rate: {users}",
            f"  duration: {int(minutes * 60)}s",
            "  wait: [100ms, 300ms]",
            "  tasks:",
            '    - {name: browse, weight: 5, request: "GET /products/db"}',
            '    - {name: checkout, weight: 1, request: "POST /orders", json: {sku: A1, qty: 1}}',
            "timeline:",
            *steps,
            "checks: [{metric: error_rate, below: 50%}]",
            "reports: {dir: ../out}",
            "",
        ]
    )


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return found


def sample(process: subprocess.Popen, started: float, samples: list[tuple[float, int, int]]) -> None:
    """RSS every SAMPLE_EVERY seconds until the run exits (or this bench is interrupted)."""
    while process.poll() is None:
        kids = sum(rss_kib(pid) for pid in children(process.pid))
        samples.append((time.monotonic() - started, rss_kib(process.pid), kids))
        time.sleep(SAMPLE_EVERY)


def print_memory(samples: list[tuple[float, int, int]]) -> None:
    print(f"memory (RSS, MiB)   {len(samples)} samples;  t        envsim run   Locust processes")
    for t, parent, kids in samples[:: max(1, len(samples) // 20)]:
        print(f"                    {t:6.0f}s  {parent / 1024:10.1f}   {kids / 1024:10.1f}")
    warm = [s for s in samples if s[0] > 60]
    if warm:
        first, last = warm[0], warm[-1]
        print(
            f"after warm-up       envsim {first[1] / 1024:.1f} -> {last[1] / 1024:.1f} MiB, "
            f"Locust {first[2] / 1024:.1f} -> {last[2] / 1024:.1f} MiB"
        )


def print_journal(journal_file: Path) -> bool:
    """The journal's size against the load's length and requests; False when there is none."""
    try:
        size = journal_file.stat().st_size
        journal = json.loads(journal_file.read_text())
    except (OSError, ValueError) as error:
        print(f"journal             none readable at {journal_file} ({type(error).__name__}: {error})")
        return False
    requests = sum(p["requests"] for p in journal["series"] if p["endpoint"] == "")
    print(
        f"journal             {size / 1024:.0f} KiB over {journal['duration']:.0f}s, {requests} requests, "
        f"{len(journal['faults'])} fault events: {size / max(journal['duration'], 1):.0f} B per second of load, "
        f"{size / max(requests, 1):.2f} B per request"
    )
    return True


def print_tail(label: str, path: Path, lines: int = 40) -> None:
    text = path.read_text(errors="replace").rstrip() if path.exists() else ""
    print(f"{label} (last {lines} lines):")
    for line in text.splitlines()[-lines:] or ["(empty)"]:
        print(f"  | {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory) / "repo"
        for name in ("profiles", "examples"):
            shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        (project / "scenarios").mkdir()
        (project / "scenarios" / "soak.yaml").write_text(scenario(args.minutes, args.users))
        (project / ".git").mkdir()
        env = {**os.environ, "ENVSIM_STATE_DIR": str(Path(directory) / "state"), "NO_COLOR": "1"}
        name = f"soak-{uuid.uuid4().hex[:6]}"
        # files, not pipes: a pipe nobody reads fills up over a long run and blocks envsim's writes
        stdout, stderr = Path(directory) / "stdout.txt", Path(directory) / "stderr.txt"
        samples: list[tuple[float, int, int]] = []
        with stdout.open("w") as out, stderr.open("w") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "envsim", "run", "scenarios/soak.yaml", "--name", name],
                cwd=project,
                env=env,
                stdout=out,
                stderr=err,
                text=True,
            )
        try:
            sample(process, time.monotonic(), samples)
        finally:  # whatever happened, print what was collected and remove the stack
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=120)
            ok = report(args, process.returncode, samples, project / "out" / "journal.json", stdout, stderr)
            subprocess.run(
                [sys.executable, "-m", "envsim", "down", "prod-like", "--name", name, "--images"],
                cwd=project,
                env=env,
                capture_output=True,
            )
    return 0 if ok else 1


def report(args, returncode: int, samples: list, journal_file: Path, stdout: Path, stderr: Path) -> bool:
    """Everything collected, also after a failed run: then with the tail of envsim's output."""
    print(f"run                 {args.minutes:g} min, {args.users} users, exit {returncode}")
    print_memory(samples)
    has_journal = print_journal(journal_file)
    lines = stdout.read_text(errors="replace").strip().splitlines() if stdout.exists() else []
    print(next((line for line in reversed(lines) if line.startswith("verdict:")), "(no verdict printed)"))
    failed = returncode not in (0, 1) or not has_journal  # 1 is a failed check: the run itself worked
    if failed:
        print_tail("envsim run stderr", stderr)
        print_tail("envsim run stdout", stdout, lines=10)
    return not failed


if __name__ == "__main__":
    sys.exit(main())
