"""`envsim run --on kubernetes --load-on cluster`: Locust as Jobs in the stack's namespace.

On a kept shop-small stack (no resource requests, so it fits a 2-core node beside other
stacks): the load from the cluster judges each check as the load from this machine does; with
2 worker pods the journal has each worker's seconds; a worker pod deleted mid-run makes the run
inconclusive (exit 4) naming it; Ctrl-C exits 130. After every run no pod, Job, Service or
Secret of the load is left in the namespace. Skipped without a cluster (conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCENARIO = str(HERE / "scenarios" / "load-in-cluster.yaml")
KUBECONFIG = Path(os.environ.get("ENVSIM_K8S_KUBECONFIG") or "/var/lib/envsim-k8s/kubeconfig")
STACK = "k8s-load"
NAMESPACE = f"envsim-{STACK}"
LOAD = "envsim.role=load"

pytestmark = pytest.mark.kubernetes


def _env(state: Path) -> dict[str, str]:
    env = dict(os.environ, ENVSIM_STATE_DIR=str(state), PYTHONPATH=str(REPO))
    env.pop("ENVSIM_ON", None)
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "envsim", *args, "--on", "kubernetes", "--kubeconfig", str(KUBECONFIG)]


def envsim(*args: str, state: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(_command(*args), cwd=REPO, env=_env(state), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="module")
def batch(core):
    from kubernetes import client

    return client.BatchV1Api(core.api_client)


@pytest.fixture(scope="module")
def stack(core, state):
    up = envsim("up", str(HERE / "profiles" / "shop-small.yaml"), "--name", STACK, "--no-pull", state=state)
    assert up.returncode == 0, up.stdout + up.stderr
    yield STACK
    down = envsim("down", "--name", STACK, state=state)
    assert down.returncode == 0, down.stdout + down.stderr


def load_objects(core, batch) -> list[str]:
    """Every pod, Job, Service and Secret of a load left in the stack's namespace."""
    listed = [
        ("Pod", core.list_namespaced_pod(NAMESPACE, label_selector=LOAD).items),
        ("Job", batch.list_namespaced_job(NAMESPACE, label_selector=LOAD).items),
        ("Service", core.list_namespaced_service(NAMESPACE, label_selector=LOAD).items),
        ("Secret", core.list_namespaced_secret(NAMESPACE, label_selector=LOAD).items),
    ]
    return [f"{kind} {item.metadata.name}" for kind, items in listed for item in items]


def run(state: Path, reports: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict, dict]:
    done = envsim("run", SCENARIO, "--name", STACK, "--no-up", "--reports", str(reports), *extra, state=state)
    assert (reports / "journal.json").exists(), done.stdout + done.stderr
    return done, json.loads((reports / "verdict.json").read_text()), json.loads((reports / "journal.json").read_text())


def outcomes(verdict: dict) -> dict[str, bool]:
    return {result["label"]: result["passed"] for result in verdict["results"]}


def test_load_in_the_cluster_judges_each_check_as_the_load_from_this_machine(stack, state, tmp_path, core, batch):
    from_host = run(state, tmp_path / "host")
    in_cluster = run(state, tmp_path / "cluster", "--load-on", "cluster")
    assert from_host[0].returncode == in_cluster[0].returncode == 0, (in_cluster[0].stdout, in_cluster[0].stderr)
    assert outcomes(in_cluster[1]) == outcomes(from_host[1])
    assert len(outcomes(in_cluster[1])) == 4
    assert from_host[2]["environment"]["load"] == "host via port-forward"
    assert in_cluster[2]["environment"]["load"] == "cluster"
    # the entry point's latency fault reached the pods' requests: they went through Toxiproxy
    measured = {r["label"]: r["measured"] for r in in_cluster[1]["results"]}
    assert measured["p50 of catalog > 140ms during api-slow"] >= 0.14
    # the runner's own CPU readings, second by second, for the saturation guard
    roles = {p[0] for sample in in_cluster[2]["generator"] for p in sample["processes"]}
    assert roles == {"locust"}
    assert "in the stack's cluster" in in_cluster[0].stdout
    assert load_objects(core, batch) == []


def test_two_worker_pods_record_each_workers_figures(stack, state, tmp_path, core, batch):
    done, verdict, journal = run(state, tmp_path, "--load-on", "cluster", "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert journal["environment"]["load"] == "cluster (2 workers)"
    requests: dict[str, int] = {}
    for second in journal["worker_seconds"]:
        requests[second["worker"]] = requests.get(second["worker"], 0) + second["requests"]
    assert sorted(requests) == ["worker-1", "worker-2"]
    assert all(count > 0 for count in requests.values()), requests
    # each worker's CPU as it read its own each second (no process of it runs here)
    for worker in requests:
        assert any(s["cpu"] for s in journal["worker_seconds"][2:] if s["worker"] == worker), worker
    roles = {p[0] for sample in journal["generator"] for p in sample["processes"]}
    assert roles == {"master", "worker-1", "worker-2"}
    assert load_objects(core, batch) == []


def started(state: Path, reports: Path, *extra: str) -> tuple[subprocess.Popen, list[str]]:
    """A run in the background, read until its api-slow fault is applied (mid-load)."""
    command = _command("run", SCENARIO, "--name", STACK, "--no-up", "--reports", str(reports), *extra)
    process = subprocess.Popen(
        command, cwd=REPO, env=_env(state), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if "fault api-slow applied" in line:
            return process, seen
    process.wait(30)
    raise AssertionError("the run ended before its fault: " + "".join(seen))


def test_a_worker_pod_deleted_mid_run_is_inconclusive_and_named(stack, state, tmp_path, core, batch):
    process, seen = started(state, tmp_path, "--load-on", "cluster", "--workers", "2")
    (pod,) = core.list_namespaced_pod(NAMESPACE, label_selector=f"{LOAD},envsim.load-part=worker-2").items
    core.delete_namespaced_pod(pod.metadata.name, NAMESPACE)
    rest, _ = process.communicate(timeout=300)
    output = "".join(seen) + rest
    assert process.returncode == 4, output
    assert "Locust worker worker-2 was lost" in output
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert [loss["worker"] for loss in journal["worker_losses"]] == ["worker-2"]
    assert load_objects(core, batch) == []


def test_ctrl_c_mid_load_exits_130_and_leaves_no_load_pod_job_service_or_secret(stack, state, tmp_path, core, batch):
    process, seen = started(state, tmp_path, "--load-on", "cluster", "--workers", "1")
    running = load_objects(core, batch)
    assert {entry.split()[0] for entry in running} == {"Pod", "Job", "Service", "Secret"}, running
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=180)
    assert process.returncode == 130, "".join(seen) + rest
    assert load_objects(core, batch) == []  # the run waited for their removal before it exited
