"""Wall time of `envsim validate` on a typical profile + scenario, next to `python -c pass`.

Both are measured in the same run as subprocesses (interpreter start-up included), several
times each; the medians and their ratio are printed. The goal is under 0.3 s for validate.
It also reports whether validate imported docker or locust (it must not).

    python bench/bench_validate.py [--repetitions 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

GOAL_SECONDS = 0.3
SCAFFOLD = ("profiles/prod-like.yaml", "scenarios/checkout.yaml")


def make_repo(directory: Path) -> None:
    (directory / ".git").mkdir()
    for name in SCAFFOLD:
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(resources.files("envsim.cli").joinpath("scaffold", *name.split("/")).read_text())


def median_seconds(command: list[str], cwd: Path, repetitions: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return statistics.median(times)


def heavy_imports(cwd: Path, env: dict[str, str]) -> list[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "envsim", "validate"], cwd=cwd, env=env,
                            capture_output=True, text=True)
    modules = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    return sorted(m for m in modules if m.split(".")[0] in ("docker", "locust", "gevent"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=15)
    args = parser.parse_args()
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPROFILEIMPORTTIME"}
    with tempfile.TemporaryDirectory() as directory:
        repo = Path(directory)
        make_repo(repo)
        baseline = median_seconds([sys.executable, "-c", "pass"], repo, args.repetitions, env)
        validate = median_seconds([sys.executable, "-m", "envsim", "validate"], repo, args.repetitions, env)
        heavy = heavy_imports(repo, env)
    print(f"python -c pass     median {baseline * 1000:7.1f} ms  ({args.repetitions} runs)")
    print(f"envsim validate    median {validate * 1000:7.1f} ms  ({args.repetitions} runs)")
    print(f"ratio              {validate / baseline:.2f}x; validate work beyond start-up "
          f"{(validate - baseline) * 1000:.1f} ms")
    print(f"goal < {GOAL_SECONDS:.1f} s: {'met' if validate < GOAL_SECONDS else 'NOT met'}")
    print(f"docker/locust imported by validate: {', '.join(heavy) if heavy else 'none'}")


if __name__ == "__main__":
    main()
