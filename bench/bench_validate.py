"""Wall time of `envsim validate` on this repo's profiles and scenarios, as a multiple of `python -c pass`.

A paired benchmark: each round runs `python -c pass` and then `python -m envsim validate` (in
the repo root, so it checks the repo's own files) back to back as subprocesses, interpreter
start-up included, and takes their ratio; the median ratio over the rounds is the figure
(goal: at most 5x). Pairing keeps a busy machine's ups and downs out of the ratio: both halves
of a round see the same load. CPU time (user + system) is reported beside wall time.
It also reports whether validate imported docker, locust or jsonschema (it must not, for valid
files).

On a shared, busy machine wall time swings from run to run; `--instructions` counts the
instructions each command executes instead (under valgrind's callgrind, one run each: the
count repeats to within a fraction of a percent whatever the load), the figure to compare
changes by.

    python bench/bench_validate.py [--rounds 21] [--instructions]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_RATIO = 5.0
REPO = Path(__file__).resolve().parents[1]
HEAVY = ("docker", "locust", "gevent", "jsonschema")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `command` in the repo root."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def instructions(command: list[str], env: dict[str, str]) -> int:
    """Instructions one run of `command` executes in the repo root, counted by callgrind."""
    counted = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    result = subprocess.run(counted, cwd=REPO, env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        raise SystemExit(f"{' '.join(counted)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return int(found.group(1))


def report_instructions(baseline_cmd: list[str], validate_cmd: list[str], env: dict[str, str]) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    baseline, validate = instructions(baseline_cmd, env), instructions(validate_cmd, env)
    print(f"python -c pass     {baseline / 1e6:8.1f} M instructions")
    print(f"envsim validate    {validate / 1e6:8.1f} M instructions")
    print(f"ratio (instructions): {validate / baseline:.2f}x")


def heavy_imports(env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "envsim", "validate"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    modules = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--instructions", action="store_true", help="count instructions (callgrind), not time")
    args = parser.parse_args()
    # An installed envsim has its bytecode compiled; a run that may not write it would
    # compile every module on every start and measure the compiler instead.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE")}
    baseline_cmd = [sys.executable, "-c", "pass"]
    validate_cmd = [sys.executable, "-m", "envsim", "validate"]
    timed(validate_cmd, env)  # warm-up: bytecode written, files in the page cache
    if args.instructions:
        report_instructions(baseline_cmd, validate_cmd, env)
        return
    pairs = [(timed(baseline_cmd, env), timed(validate_cmd, env)) for _ in range(args.rounds)]
    wall_ratio = statistics.median(v[0] / b[0] for b, v in pairs)
    cpu_ratio = statistics.median(v[1] / b[1] for b, v in pairs if b[1] > 0)
    for label, index in (("python -c pass", 0), ("envsim validate", 1)):
        runs = [pair[index] for pair in pairs]
        print(
            f"{label:18s} median wall {statistics.median(r[0] for r in runs) * 1000:7.1f} ms, "
            f"CPU {statistics.median(r[1] for r in runs) * 1000:7.1f} ms  ({args.rounds} rounds)"
        )
    print(f"ratio (median of paired rounds): wall {wall_ratio:.2f}x, CPU {cpu_ratio:.2f}x")
    print(f"goal <= {GOAL_RATIO:.0f}x: {'met' if wall_ratio <= GOAL_RATIO else 'NOT met'}")
    heavy = heavy_imports(env)
    print(f"docker/locust/jsonschema imported by validate: {', '.join(heavy) if heavy else 'none'}")


if __name__ == "__main__":
    main()
