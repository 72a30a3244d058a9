"""Wall time of `envsim up prod-like` on Kubernetes next to the same on the local Docker engine.

Both sides run the repo's own profile as users do: `envsim up profiles/prod-like.yaml --no-pull`
as a subprocess, counted until it exits with the stack up (health-gated: Toxiproxy ready, db
healthy and seeded with its 20,000 rows, cache, api answering /healthz), then `envsim down`
(timed too; on Kubernetes it waits until the namespace is gone). One warm-up per side, not
counted (it builds the stack's api image and, on Kubernetes, imports the images into the
cluster's containerd, which later rounds skip), then alternating rounds, each side under one
stack name; prints the medians and the ratio
kubernetes/docker. Asserts nothing. Unique stack names and a private ENVSIM_STATE_DIR.

Needs a running cluster (scripts/k8s-setup.sh; kubeconfig from $ENVSIM_K8S_KUBECONFIG, else
/var/lib/envsim-k8s/kubeconfig) and the Docker engine with the prepared images.

    python bench/bench_up_kubernetes.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KUBECONFIG = os.environ.get("ENVSIM_K8S_KUBECONFIG") or "/var/lib/envsim-k8s/kubeconfig"
SIDES = ("docker", "kubernetes")


def envsim(args: list[str], state: Path, side: str) -> float:
    """Seconds the command took; exits the bench when it failed."""
    env = dict(os.environ, ENVSIM_STATE_DIR=str(state), ENVSIM_ON=side)
    if side == "kubernetes":
        env["KUBECONFIG"] = KUBECONFIG
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "envsim", *args], cwd=REPO, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{side}: envsim {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return took


def one_round(side: str, state: Path, name: str) -> tuple[float, float]:
    try:
        up = envsim(["up", "profiles/prod-like.yaml", "--name", name, "--no-pull"], state, side)
    finally:
        down = envsim(["down", "--name", name], state, side)
    return up, down


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    times: dict[str, dict[str, list[float]]] = {side: {"up": [], "down": []} for side in SIDES}
    with tempfile.TemporaryDirectory(prefix="envsim-bench-k8s-") as state_dir:
        state = Path(state_dir)
        # one name per side for every round: the api image is built (and imported) once, as for a
        # team that brings the same stack up again; only the warm-up pays for it
        names = {side: f"bench-{side[:4]}-{uuid.uuid4().hex[:6]}" for side in SIDES}
        for side in SIDES:
            up, _ = one_round(side, state, names[side])
            print(f"warm-up {side:<10} up {up:6.1f}s (not counted)", flush=True)
        for index in range(rounds):
            for side in SIDES if index % 2 == 0 else reversed(SIDES):
                up, down = one_round(side, state, names[side])
                times[side]["up"].append(up)
                times[side]["down"].append(down)
                print(f"round {index + 1} {side:<10} up {up:6.1f}s  down {down:5.1f}s", flush=True)
    medians = {side: {what: statistics.median(values) for what, values in times[side].items()} for side in SIDES}
    print(f"\nenvsim up prod-like, median of {rounds} rounds (health-gated, seeded):")
    for side in SIDES:
        print(f"  {side:<10} up {medians[side]['up']:6.1f}s  down {medians[side]['down']:5.1f}s")
    ratio = medians["kubernetes"]["up"] / medians["docker"]["up"]
    print(f"  kubernetes/docker up: {ratio:.2f}x")


if __name__ == "__main__":
    main()
