"""What the cluster tests that keep a stack of their own share: envsim run as a user would, on
the cluster, and a stack brought up from a profile and scenarios written into a fresh repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
POD_DEFAULT_GRACE = 30  # seconds: terminationGracePeriodSeconds when a pod names none
KUBECONFIG = Path(os.environ.get("ENVSIM_K8S_KUBECONFIG") or "/var/lib/envsim-k8s/kubeconfig")


def envsim(*args: str, repo: Path, state: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """`envsim ARGS --on kubernetes` in `repo` with its own state directory (ENVSIM_ON unset)."""
    env = dict(os.environ, ENVSIM_STATE_DIR=str(state), PYTHONPATH=str(REPO))
    env.pop("ENVSIM_ON", None)
    return subprocess.run(
        [sys.executable, "-m", "envsim", *args, "--on", "kubernetes", "--kubeconfig", str(KUBECONFIG)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def kept_stack(tmp_path_factory, stack: str, profile: dict, scenarios: dict[str, dict]) -> Iterator[tuple[Path, Path]]:
    """For a module fixture: (repo, state) of `stack`, up from `profile` with `scenarios` (file
    name -> scenario) beside it, for the module's tests; down, and checked so, after them."""
    name = profile["name"]
    repo = tmp_path_factory.mktemp(f"{name}-repo")
    (repo / ".git").mkdir()
    (repo / "profiles").mkdir()
    (repo / "scenarios").mkdir()
    (repo / f"profiles/{name}.yaml").write_text(json.dumps(profile))
    for file, scenario in scenarios.items():
        (repo / f"scenarios/{file}.yaml").write_text(json.dumps(scenario))
    state = tmp_path_factory.mktemp(f"{name}-state")
    up = envsim("up", f"profiles/{name}.yaml", "--name", stack, "--no-pull", repo=repo, state=state)
    assert up.returncode == 0, up.stdout + up.stderr
    yield repo, state
    started = time.monotonic()
    down = envsim("down", "--name", stack, repo=repo, state=state)
    took = time.monotonic() - started
    assert down.returncode == 0, down.stdout + down.stderr
    # The apps here are `python3 -c` as PID 1, which ignores SIGTERM: a down that gave their pods
    # the default 30 s grace would wait all of it, as Docker's forced removal never does.
    assert took < POD_DEFAULT_GRACE, f"down took {took:.1f}s"
