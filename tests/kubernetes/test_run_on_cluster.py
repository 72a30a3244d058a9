"""`envsim run --on kubernetes` on the real cluster, judged against the same run on Docker.

The shop's checkout scenario, shortened (scenarios/checkout-short.yaml), passes on both engines
with the same checks; a failing variant fails the same checks on both; the db latency fault
shows in p50 inside its window and not outside; Ctrl-C mid-run leaves no toxic behind and, for
a stack the run brought up, no namespace. Outcomes are compared by check and pass/fail, never
by number: the engines differ in speed. Skipped without a cluster (conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
KUBECONFIG = Path(os.environ.get("ENVSIM_K8S_KUBECONFIG") or "/var/lib/envsim-k8s/kubeconfig")
STACK = "k8s-e2e-run"  # the cluster's stack, kept for the module's runs
DOCKER_STACK = "k8s-e2e-run-docker"

# prod-like's api asks for a whole core: its stacks (here and in test_stack_on_cluster.py) never run side by side
pytestmark = [pytest.mark.kubernetes, pytest.mark.xdist_group("prod-like")]


def envsim(*args: str, state: Path, on: str = "kubernetes", timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envsim", *args, *_engine(on)],
        cwd=REPO,
        env=_env(state),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _engine(on: str) -> list[str]:
    return ["--on", "kubernetes", "--kubeconfig", str(KUBECONFIG)] if on == "kubernetes" else ["--on", "docker"]


def _env(state: Path) -> dict[str, str]:
    env = dict(os.environ, ENVSIM_STATE_DIR=str(state), PYTHONPATH=str(REPO))
    env.pop("ENVSIM_ON", None)
    return env


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="module")
def cluster_stack(core, state):
    """prod-like up on the cluster for the module's runs (`--no-up`), down afterwards."""
    up = envsim("up", "profiles/prod-like.yaml", "--name", STACK, "--no-pull", state=state)
    assert up.returncode == 0, up.stdout + up.stderr
    yield STACK
    down = envsim("down", "--name", STACK, state=state)
    assert down.returncode == 0, down.stdout + down.stderr


@pytest.fixture(scope="module")
def docker_stack(state):
    up = envsim("up", "profiles/prod-like.yaml", "--name", DOCKER_STACK, "--no-pull", state=state, on="docker")
    assert up.returncode == 0, up.stdout + up.stderr
    yield DOCKER_STACK
    down = envsim("down", "--name", DOCKER_STACK, state=state, on="docker")
    assert down.returncode == 0, down.stdout + down.stderr


def run(scenario: str, stack: str, state: Path, reports: Path, on: str) -> tuple[int, dict, dict]:
    """Exit code, verdict and journal of a run of `scenario` on the running `stack`."""
    done = envsim(
        "run", str(SCENARIOS / scenario), "--name", stack, "--no-up", "--reports", str(reports), state=state, on=on
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr  # judged, not broken
    verdict = json.loads((reports / "verdict.json").read_text())
    return done.returncode, verdict, json.loads((reports / "journal.json").read_text())


def outcomes(verdict: dict) -> dict[str, bool]:
    return {result["label"]: result["passed"] for result in verdict["results"]}


def test_ctrl_c_mid_run_removes_a_stack_the_run_brought_up(core, state, tmp_path):
    """First in the module: prod-like's api asks for a whole core, so a second prod-like stack
    does not fit on a 2-core node beside the module's (its pods stay Pending)."""
    name = "k8s-e2e-run-own"
    scenario = str(SCENARIOS / "checkout-short.yaml")
    done = interrupt_during_db_slow([scenario, "--name", name, "--no-pull", "--reports", str(tmp_path)], state)
    assert done.returncode == 130, done.stdout
    assert f"envsim-{name}" not in {n.metadata.name for n in core.list_namespace(label_selector="envsim.stack").items}
    assert not (state / "stacks" / name).exists()


def test_checkout_passes_on_both_engines_with_the_same_checks(cluster_stack, docker_stack, state, tmp_path):
    on_cluster = run("checkout-short.yaml", cluster_stack, state, tmp_path / "kubernetes", "kubernetes")
    on_docker = run("checkout-short.yaml", docker_stack, state, tmp_path / "docker", "docker")
    assert on_cluster[0] == on_docker[0] == 0, (outcomes(on_cluster[1]), outcomes(on_docker[1]))
    assert outcomes(on_cluster[1]) == outcomes(on_docker[1])
    assert len(outcomes(on_cluster[1])) == 8  # probes (sql, http, exec) were measured, through pod exec

    environment = on_cluster[2]["environment"]
    assert environment["engine"].startswith("kubernetes v1.")
    assert environment["load"] == "host via port-forward"
    assert on_docker[2]["environment"]["load"] == "host"
    assert_latency_shows_inside_its_window_only(on_cluster[1])


def assert_latency_shows_inside_its_window_only(verdict: dict) -> None:
    """db-slow (200 ms +- 50 ms on the db's proxy) measured in browse's p50, which hits the db."""
    measured = {result["label"]: result["measured"] for result in verdict["results"]}
    before = measured["p50 of browse < 120ms in the baseline"]
    during = measured["p50 of browse > 150ms during db-slow"]
    after = measured["p50 of browse < 120ms after db-slow"]
    assert during >= 0.15 and during - max(before, after) >= 0.1, (before, during, after)


def test_a_failing_variant_fails_the_same_checks_on_both_engines(cluster_stack, docker_stack, state, tmp_path):
    on_cluster = run("checkout-failing.yaml", cluster_stack, state, tmp_path / "kubernetes", "kubernetes")
    on_docker = run("checkout-failing.yaml", docker_stack, state, tmp_path / "docker", "docker")
    assert on_cluster[0] == on_docker[0] == 1
    failed = {label for label, passed in outcomes(on_cluster[1]).items() if not passed}
    assert failed == {label for label, passed in outcomes(on_docker[1]).items() if not passed}
    assert failed == {
        "p50 of browse < 100ms during db-slow",
        next(label for label in outcomes(on_cluster[1]) if label.startswith("sql on db")),
    }


def toxics(state: Path, stack: str) -> dict[str, list[str]]:
    status = envsim("status", "--name", stack, "--json", state=state)
    assert status.returncode == 0, status.stderr
    return {p["name"]: p["toxics"] for p in json.loads(status.stdout)[0]["proxies"]}


def interrupt_during_db_slow(args: list[str], state: Path) -> subprocess.CompletedProcess:
    """`envsim run ARGS` on the cluster, sent SIGINT once db-slow is applied."""
    process = subprocess.Popen(
        [sys.executable, "-m", "envsim", "run", *args, *_engine("kubernetes")],
        cwd=REPO,
        env=_env(state),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if "fault db-slow applied" in line:
            process.send_signal(signal.SIGINT)
            break
    rest, _ = process.communicate(timeout=300)
    return subprocess.CompletedProcess(args, process.returncode, "".join(seen) + rest, "")


def test_ctrl_c_mid_fault_leaves_no_toxic_on_a_kept_stack(cluster_stack, state, tmp_path):
    scenario = str(SCENARIOS / "checkout-short.yaml")
    done = interrupt_during_db_slow([scenario, "--name", cluster_stack, "--no-up", "--reports", str(tmp_path)], state)
    assert done.returncode == 130, done.stdout
    assert all(found == [] for found in toxics(state, cluster_stack).values())
    entry = json.loads(envsim("status", "--name", cluster_stack, "--json", state=state).stdout)[0]
    assert {c["state"] for c in entry["containers"]} == {"running"}  # kept: the run did not start it


def test_container_faults_are_pod_operations(cluster_stack, core, state):
    apps_namespace = f"envsim-{cluster_stack}"
    (before,) = [
        p.metadata.name
        for p in core.list_namespaced_pod(apps_namespace, label_selector="envsim.role=service,envsim.service=api").items
    ]
    restarted = envsim(
        "fault", "apply", "api-restart", "--name", cluster_stack, "-p", "profiles/prod-like.yaml", state=state
    )
    assert restarted.returncode == 0, restarted.stderr
    pods = core.list_namespaced_pod(apps_namespace, label_selector="envsim.role=service,envsim.service=api").items
    assert [p for p in pods if p.metadata.name == before and p.metadata.deletion_timestamp is None] == []
    paused = envsim(
        "fault", "apply", "api-pause", "--name", cluster_stack, "-p", "profiles/prod-like.yaml", state=state
    )
    assert paused.returncode == 3
    assert "`container: pause` is not supported on Kubernetes" in paused.stderr
    _wait_until_serving(cluster_stack, state)
    pods = core.list_namespaced_pod(apps_namespace, label_selector="envsim.role=service,envsim.service=api").items
    serving = [p.metadata.name for p in pods if p.metadata.deletion_timestamp is None]
    assert len(serving) == 1 and serving != [before]  # the deployment started a new pod in its place


def _wait_until_serving(stack: str, state: Path) -> None:
    """The api's new pod ready, so later tests start on a stack that serves."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        entry = json.loads(envsim("status", "--name", stack, "--json", state=state).stdout)[0]
        url = {p["name"]: p["entry_url"] for p in entry["proxies"]}["api-http"]
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
                if answer.status == 200 and {c["state"] for c in entry["containers"]} == {"running"}:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"stack {stack} did not serve again after the restart")
