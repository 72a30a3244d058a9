"""What the cluster tests that keep a stack of their own share: envsim run as a user would, on
the cluster, and a stack brought up from a profile and scenarios written into a fresh repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KUBECONFIG = Path(os.environ.get("ENVSIM_K8S_KUBECONFIG") or "/var/lib/envsim-k8s/kubeconfig")
# What each small service asks of the 2-core node, so that several tests' stacks fit beside each other.
SMALL = {"cpus": 0.2, "memory": "128m"}


def envsim_command(*args: str) -> list[str]:
    """`python -m envsim ARGS --on kubernetes`, with the local cluster's kubeconfig."""
    return [sys.executable, "-m", "envsim", *args, "--on", "kubernetes", "--kubeconfig", str(KUBECONFIG)]


def envsim_env(state: Path) -> dict[str, str]:
    """The environment for envsim with its own state directory, importing this tree (ENVSIM_ON unset)."""
    env = dict(os.environ, ENVSIM_STATE_DIR=str(state), PYTHONPATH=str(REPO))
    env.pop("ENVSIM_ON", None)
    return env


def envsim(*args: str, repo: Path, state: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """`envsim ARGS --on kubernetes` in `repo` with its own state directory."""
    return subprocess.run(
        envsim_command(*args), cwd=repo, env=envsim_env(state), capture_output=True, text=True, timeout=timeout
    )


def app_profile(name: str, app: str, services: dict | None = None, failure_modes: dict | None = None) -> dict:
    """Profile `name` with one small service `app`: `python3 -c APP` on python:3.11-slim, serving
    HTTP on port 8000, published, healthy once /healthz answers; beside it `services`, which it
    depends on, and the profile's `failure_modes`."""
    served = {
        "image": "python:3.11-slim",
        "command": ["python3", "-c", app],
        "ports": {"http": 8000},
        "publish": ["http"],
        "health": {"http": "/healthz"},
        "resources": SMALL,
    }
    if services:
        served["depends_on"] = sorted(services)
    profile = {"envsim": 1, "name": name, "services": {"app": served, **(services or {})}}
    if failure_modes:
        profile["failure_modes"] = failure_modes
    return profile


def write_repo(repo: Path, profile: dict, scenarios: dict[str, dict]) -> None:
    """A repository at `repo` (a `.git` marks its root) holding `profile` as profiles/NAME.yaml
    and `scenarios` (file name -> scenario) in scenarios/."""
    for folder in (".git", "profiles", "scenarios"):
        (repo / folder).mkdir(parents=True, exist_ok=True)
    (repo / f"profiles/{profile['name']}.yaml").write_text(json.dumps(profile), encoding="utf-8")
    for file, scenario in scenarios.items():
        (repo / f"scenarios/{file}.yaml").write_text(json.dumps(scenario), encoding="utf-8")


def kept_stack(
    core, tmp_path_factory, stack: str, profile: dict, scenarios: dict[str, dict]
) -> Iterator[tuple[Path, Path]]:
    """For a module fixture: (repo, state) of `stack`, up from `profile` with `scenarios` (file
    name -> scenario) beside it, for the module's tests; down, and checked so, after them."""
    name = profile["name"]
    repo = tmp_path_factory.mktemp(f"{name}-repo")
    write_repo(repo, profile, scenarios)
    state = tmp_path_factory.mktemp(f"{name}-state")
    up = envsim("up", f"profiles/{name}.yaml", "--name", stack, "--no-pull", repo=repo, state=state)
    assert up.returncode == 0, up.stdout + up.stderr
    yield repo, state
    down, graces = down_watching_pods(core, stack, repo, state)
    assert down.returncode == 0, down.stdout + down.stderr
    # As Docker's down removes containers by force: the apps here are `python3 -c` as PID 1,
    # which ignores SIGTERM, and would hold down for the pods' whole default grace (30 s). The
    # node's own final deletion, once the containers are gone, shows as a grace of 0.
    assert graces and all(any(0 < grace <= 1 for grace in given) for given in graces.values()), graces


def down_watching_pods(core, stack: str, repo: Path, state: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """`envsim down` of the stack, and the grace periods (seconds) each of its pods was given
    for its deletion, in turn, as a watch on the namespace saw them until every pod was gone."""
    from kubernetes import watch

    namespace = f"envsim-{stack}"
    listed = core.list_namespaced_pod(namespace)
    left = {pod.metadata.name for pod in listed.items}
    graces: dict[str, list[int]] = {}
    watcher = watch.Watch()

    def follow() -> None:
        since = listed.metadata.resource_version
        for event in watcher.stream(core.list_namespaced_pod, namespace, resource_version=since, timeout_seconds=120):
            pod = event["object"]
            grace = pod.metadata.deletion_grace_period_seconds
            if event["type"] == "MODIFIED" and grace is not None:
                graces.setdefault(pod.metadata.name, []).append(grace)
            if event["type"] == "DELETED":
                left.discard(pod.metadata.name)
                if not left:
                    return

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    down = envsim("down", "--name", stack, repo=repo, state=state)
    follower.join(timeout=30)
    watcher.stop()
    return down, graces
