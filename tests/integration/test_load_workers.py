"""Locust's distributed mode through run_load: per-worker records, a lost worker, a worker from elsewhere.

The second machine is a network namespace joined to this one by a veth pair: the worker in it
reaches the master and the target only through the pair's addresses, as from another host.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from run_support.second_host import envsim_in
from run_support.target_server import TargetServer

from envsim.config.scenario_model import LoadSpec, LoadTask
from envsim.errors import EnvironmentProblem
from envsim.run.load_with_faults import run_load
from envsim.run.progress import RunObserver, RunStart

# Locust's master counts a worker's liveness down from 3 once a second and marks it missing
# when it is below 0: 5 checks after its last heartbeat, the first up to 1 s away; envsim's
# tick adds up to 0.25 s.
HEARTBEAT_DETECTION = 6.5
REPO = Path(__file__).resolve().parents[2]


def _browse(duration: float, **workers) -> LoadSpec:
    return LoadSpec(
        users=4,
        spawn_rate=50,
        duration=duration,
        wait=(0.02, 0.05),
        tasks=(LoadTask("browse", "GET", "/fast"),),
        **workers,
    )


def _worker_pid(name: str, timeout: float = 30.0) -> int:
    """The pid of this process's Locust worker child started as `name`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    argv = handle.read().split(b"\0")
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if parent == os.getpid() and b"--role" in argv and name.encode() in argv:
                return int(entry)
        time.sleep(0.1)
    raise AssertionError(f"no worker {name} started")


def test_each_worker_records_its_users_requests_and_cpu():
    with TargetServer() as server:
        result = run_load(_browse(4, workers=2), server.url)
    assert result.error is None and result.worker_losses == ()
    assert {s.worker for s in result.worker_seconds} == {"worker-1", "worker-2"}
    per_second: dict[int, int] = {}
    for sample in result.worker_seconds:
        per_second[sample.t] = per_second.get(sample.t, 0) + sample.users
        assert sample.cpu is not None and sample.cpu >= 0
    assert per_second[2] == 4  # the master's 4 users, shared by the two workers
    aggregate = sum(p.requests for p in result.series if p.endpoint == "")
    assert sum(s.requests for s in result.worker_seconds) == aggregate


class _KillWorker(RunObserver):
    """Kills a worker with SIGKILL a few seconds after load began, like a machine that died."""

    def __init__(self, name: str, after: float):
        self.name, self.after = name, after
        self.killed_at: float | None = None  # seconds from load start
        self._thread: threading.Thread | None = None

    def on_start(self, start: RunStart) -> None:
        began = time.monotonic()

        def kill() -> None:
            pid = _worker_pid(self.name)
            time.sleep(self.after)
            os.kill(pid, signal.SIGKILL)
            self.killed_at = time.monotonic() - began

        self._thread = threading.Thread(target=kill)
        self._thread.start()


def test_a_worker_killed_mid_run_is_named_within_the_heartbeat_interval(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the Locust processes' temporary files, counted below
    killer = _KillWorker("worker-2", after=3.0)
    with TargetServer() as server:
        result = run_load(_browse(12, workers=2), server.url, observer=killer)
    assert list(tmp_path.glob("envsim-worker-*")) == []  # not even the killed worker's
    assert result.error is None  # the run goes on with the other worker
    [loss] = result.worker_losses
    assert loss.worker == "worker-2" and loss.how == "stopped sending heartbeats"
    assert killer.killed_at is not None
    assert killer.killed_at < loss.t <= killer.killed_at + HEARTBEAT_DETECTION
    after = [p.requests for p in result.series if p.endpoint == "" and p.t > loss.t + 1]
    assert after and all(n > 0 for n in after)  # worker-1's users kept the load going


class _StopWorker(RunObserver):
    """Stops a worker (SIGSTOP) for a while and lets it go on (SIGCONT): a process starved of CPU."""

    def __init__(self, name: str, after: float, stopped_for: float):
        self.name, self.after, self.stopped_for = name, after, stopped_for
        self.stopped: tuple[float, float] | None = None  # seconds from load start
        self._thread: threading.Thread | None = None

    def on_start(self, start: RunStart) -> None:
        began = time.monotonic()

        def stop_and_go_on() -> None:
            pid = _worker_pid(self.name)
            time.sleep(self.after)
            os.kill(pid, signal.SIGSTOP)
            stopped_at = time.monotonic() - began
            time.sleep(self.stopped_for)
            os.kill(pid, signal.SIGCONT)
            self.stopped = (stopped_at, time.monotonic() - began)

        self._thread = threading.Thread(target=stop_and_go_on)
        self._thread.start()


def test_a_worker_starved_past_the_heartbeat_check_is_named_with_when_it_came_back():
    stopper = _StopWorker("worker-2", after=2.0, stopped_for=HEARTBEAT_DETECTION + 1.0)
    with TargetServer() as server:
        result = run_load(_browse(14, workers=2), server.url, observer=stopper)
    assert result.error is None and stopper.stopped is not None
    [loss] = result.worker_losses
    stopped_at, went_on_at = stopper.stopped
    assert loss.worker == "worker-2" and loss.how == "stopped sending heartbeats"
    assert stopped_at < loss.t <= stopped_at + HEARTBEAT_DETECTION
    assert loss.back_at is not None and went_on_at < loss.back_at <= went_on_at + 2.5  # its next heartbeat


def test_a_worker_that_never_joins_is_an_environment_problem():
    load = _browse(3, workers=1, workers_on="remote", master_port=0, join_timeout=2.0)
    with TargetServer() as server, pytest.raises(EnvironmentProblem, match="0 of 1 Locust workers joined"):
        run_load(load, server.url, start_timeout=30)


def test_envsim_worker_joins_from_a_second_network_namespace(second_host):
    load = _browse(
        5, workers=1, workers_on="remote", master_bind=second_host.host_address, master_port=5557, join_timeout=60
    )
    with TargetServer(host=second_host.host_address) as server:
        worker = envsim_in(
            second_host.netns, "worker", "--master", f"{second_host.host_address}:5557", "--name", "far-away"
        )
        try:
            result = run_load(load, server.url)
            out, err = worker.communicate(timeout=30)
        finally:
            worker.kill()
        hits = sum(server.hits.values())
        peers = set(server.peers)
    assert worker.returncode == 0, err
    assert f"joined the run at {second_host.host_address}:5557 as far-away" in out
    assert result.error is None
    assert {s.worker for s in result.worker_seconds} == {"far-away"}
    assert sum(p.requests for p in result.series if p.endpoint == "") == hits > 20
    assert peers == {second_host.worker_address}  # the requests came from the other namespace


LOCUSTFILE = """
from locust import HttpUser, constant, task


class Browse(HttpUser):
    wait_time = constant(0.05)

    @task
    def fast(self):
        self.client.get("/fast")
"""


def test_a_worker_from_elsewhere_runs_the_masters_locustfile_and_leaves_no_copy(tmp_path):
    from envsim.run.child_processes import free_port

    locustfile = tmp_path / "project" / "browse.py"
    locustfile.parent.mkdir()
    locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    worker_tmp = tmp_path / "worker-tmp"
    worker_tmp.mkdir()
    port = free_port()
    load = LoadSpec(users=2, spawn_rate=10, duration=3, locustfile=locustfile, workers=1, workers_on="remote")
    load = dataclasses.replace(load, master_port=port, join_timeout=30)
    command = [sys.executable, "-m", "envsim", "worker", "--master", f"127.0.0.1:{port}", "--name", "elsewhere"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(worker_tmp)}
    with TargetServer() as server:
        worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            result = run_load(load, server.url)
            _, err = worker.communicate(timeout=30)
        finally:
            worker.kill()
    assert worker.returncode == 0, err
    assert result.error is None and sum(p.requests for p in result.series if p.endpoint == "") > 5
    assert list(worker_tmp.iterdir()) == []


def test_a_worker_of_another_envsim_version_is_refused_and_named():
    from envsim.run.child_processes import free_port

    port = free_port()
    load = _browse(3, workers=1, workers_on="remote", master_port=port, join_timeout=15)
    # the same code under another version number: what a worker from an older install says
    other_version = (
        "import sys, envsim; envsim.__version__ = '9.9.9'; "
        "from envsim.run.locust_child.entry import main; sys.exit(main(sys.argv[1:]))"
    )
    command = [sys.executable, "-c", other_version, "--role", "worker", "--master-port", str(port), "--name", "old"]
    with TargetServer() as server:
        worker = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            with pytest.raises(EnvironmentProblem) as raised:
                run_load(load, server.url)
            _, err = worker.communicate(timeout=30)
        finally:
            worker.kill()
    assert "0 of 1 Locust workers joined" in str(raised.value)
    assert "refused old: the worker runs envsim 9.9.9 (the master runs " in str(raised.value)
    assert worker.returncode == 3
    assert "refused this worker: the worker runs envsim 9.9.9" in err
