"""Soak: steady load for a long time with a fault every 2 minutes, watching envsim itself.

Prints envsim's own memory over time (the `envsim run` process and its Locust processes, RSS
sampled every 10 s) and the journal's size against the run's length and request count: memory
should be flat after warm-up, and the journal should grow with time, not with requests.

    python bench/soak.py [--minutes 30] [--users 20]

Needs the Docker engine and images the tests use (scripts/test-setup.sh). Asserts nothing.
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


def scenario(minutes: float, users: int) -> str:
    steps = [f"  - {{at: {at}s, for: 30s, fault: {FAULTS[i % len(FAULTS)]}}}"
             for i, at in enumerate(range(60, int(minutes * 60) - 30, 120))]
    return "\n".join([
        "envsim: 1", "profile: prod-like", "load:", "  target: api", f"  users: {users}", f"  spawn_rate: {users}",
        f"  duration: {int(minutes * 60)}s", "  wait: [100ms, 300ms]",
        "  tasks:", '    - {name: browse, weight: 5, request: "GET /products/db"}',
        '    - {name: checkout, weight: 1, request: "POST /orders", json: {sku: A1, qty: 1}}',
        "timeline:", *steps, "checks: [{metric: error_rate, below: 50%}]", "reports: {dir: ../out}", "",
    ])


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
        process = subprocess.Popen([sys.executable, "-m", "envsim", "run", "scenarios/soak.yaml", "--name", name],
                                   cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        started = time.monotonic()
        samples = []
        while process.poll() is None:
            parent = rss_kib(process.pid)
            kids = sum(rss_kib(pid) for pid in children(process.pid))
            samples.append((time.monotonic() - started, parent, kids))
            time.sleep(10)
        stdout = process.stdout.read()
        journal_file = project / "out" / "journal.json"
        journal = json.loads(journal_file.read_text())
        requests = sum(p["requests"] for p in journal["series"] if p["endpoint"] == "")
        print(f"run                 {args.minutes:g} min, {args.users} users, exit {process.returncode}, "
              f"{len(journal['faults'])} fault events, {requests} requests")
        print("memory (RSS, MiB)   t        envsim run   Locust processes")
        for t, parent, kids in samples[:: max(1, len(samples) // 20)]:
            print(f"                    {t:6.0f}s  {parent / 1024:10.1f}   {kids / 1024:10.1f}")
        warm = [s for s in samples if s[0] > 60]
        if warm:
            first, last = warm[0], warm[-1]
            print(f"after warm-up       envsim {first[1] / 1024:.1f} -> {last[1] / 1024:.1f} MiB, "
                  f"Locust {first[2] / 1024:.1f} -> {last[2] / 1024:.1f} MiB")
        size = journal_file.stat().st_size
        print(f"journal             {size / 1024:.0f} KiB: {size / journal['duration']:.0f} B per second of load, "
              f"{size / max(requests, 1):.2f} B per request")
        print(stdout.strip().splitlines()[-1] if stdout.strip() else "(no verdict printed)")
        subprocess.run([sys.executable, "-m", "envsim", "down", "prod-like", "--name", name], cwd=project, env=env,
                       capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
