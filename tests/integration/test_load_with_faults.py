"""run_load against a real Locust child and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from run_support.target_server import DelaySwitch, TargetServer

from envsim.config.scenario_model import LoadSpec, LoadStage, LoadTask
from envsim.config.template import SecretRef, Template
from envsim.errors import InputError
from envsim.journal import ALL_ENDPOINTS, TimelineStep, percentile_ms
from envsim.run.load_with_faults import run_load
from envsim.run.progress import RunObserver

# alone in the full run: its interrupt tests wait 30 s for a child Locust that a machine busy with
# other stacks starts late (in --fast it runs beside the unit tests, which leave time for it)
pytestmark = [pytest.mark.timeout(90), pytest.mark.docker_free, pytest.mark.alone]
SUPPORT = Path(__file__).parent / "run_support"


def merged_histogram(points):
    histogram = {}
    for point in points:
        for ms, n in point.response_times:
            histogram[ms] = histogram.get(ms, 0) + n
    return tuple(sorted(histogram.items()))


def p50(series, endpoint, seconds):
    return percentile_ms(merged_histogram([p for p in series if p.endpoint == endpoint and p.t in seconds]), 0.5)


class Recorder(RunObserver):
    def __init__(self):
        self.calls = []

    def on_start(self, start):
        self.calls.append(("start", start.duration))

    def on_second(self, points):
        self.calls.append(("second", points[0].t))

    def on_fault(self, event):
        self.calls.append(("fault", event.fault, event.action))

    def on_end(self, result):
        self.calls.append(("end", result.interrupted))


def test_a_latency_fault_shows_up_in_its_window_only():
    delay = 0.2
    with TargetServer(delay=delay) as server:
        switch = DelaySwitch(server)
        observer = Recorder()
        load = LoadSpec(
            users=6,
            spawn_rate=50,
            duration=9,
            wait=(0.02, 0.05),
            tasks=(
                LoadTask(
                    "browse",
                    "GET",
                    "/fast",
                    weight=2,
                    headers=(("Authorization", Template(("Bearer ", SecretRef("token")))),),
                ),
                LoadTask("search", "GET", "/slow", weight=2),
                LoadTask("order", "POST", "/fast", weight=1, json={"sku": "A1"}, expect_status=(201,)),
            ),
        )
        result = run_load(
            load, server.url, (TimelineStep("slow-backend", 3.0, 3.0 + 3.0),), switch, observer, {"token": "t0ken"}
        )

    assert not result.interrupted and result.error is None
    assert 8.9 <= result.duration < 12
    assert result.locust_version and result.started_at.endswith("Z")
    assert dict(result.endpoints) == {"browse": "GET /fast", "search": "GET /slow", "order": "POST /fast"}
    assert switch.calls == [("apply", "slow-backend"), ("clear", "slow-backend")]
    applied, removed = result.faults
    assert (applied.action, applied.scheduled, removed.action, removed.scheduled) == ("applied", 3.0, "removed", 6.0)
    assert 3.0 <= applied.actual < 3.1 and 6.0 <= removed.actual < 6.1

    series = result.series
    assert {p.endpoint for p in series} == {ALL_ENDPOINTS, "browse", "search", "order"}
    inside, outside = {4, 5}, {0, 1, 2, 7, 8}
    slow_inside, slow_outside = p50(series, "search", inside), p50(series, "search", outside)
    fast_inside = p50(series, "browse", inside)
    assert slow_inside >= slow_outside + delay * 1000 * 0.8, (slow_inside, slow_outside)
    assert slow_outside < 50 and fast_inside < 50, (slow_outside, fast_inside)

    orders = [p for p in series if p.endpoint == "order"]
    assert sum(p.requests for p in orders) > 0
    assert all(p.failures == p.requests for p in orders)  # 200 is not the expected 201
    for t in {p.t for p in series}:
        second = [p for p in series if p.t == t]
        aggregate = second[0]
        assert aggregate.endpoint == ALL_ENDPOINTS
        assert aggregate.requests == sum(p.requests for p in second[1:])
        assert aggregate.requests == sum(n for _, n in aggregate.response_times)
    assert sum(p.requests for p in series if p.endpoint == ALL_ENDPOINTS) <= sum(server.hits.values())
    assert max(p.users for p in series) == 6

    kinds = [c[0] for c in observer.calls]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert ("fault", "slow-backend", "applied") in observer.calls
    assert [c[1] for c in observer.calls if c[0] == "second"][:8] == list(range(8))


def test_a_locustfile_runs_as_is(tmp_path):
    locustfile = tmp_path / "shop.py"
    locustfile.write_text(
        "from locust import FastHttpUser, task, constant\n"
        "class Shopper(FastHttpUser):\n"
        "    wait_time = constant(0.05)\n"
        "    @task(3)\n"
        "    def browse(self):\n"
        "        self.client.get('/fast')\n"
        "    @task\n"
        "    def search(self):\n"
        "        self.client.get('/slow?q=1', name='/slow')\n"
    )
    with TargetServer() as server:
        result = run_load(LoadSpec(users=3, spawn_rate=10, duration=3, locustfile=locustfile), server.url)
    endpoints = {p.endpoint for p in result.series}
    assert endpoints == {ALL_ENDPOINTS, "GET /fast", "GET /slow"}
    assert sum(p.requests for p in result.series if p.endpoint == "GET /fast") > 10
    assert all(p.failures == 0 for p in result.series)


def test_a_broken_locustfile_is_an_input_error(tmp_path):
    locustfile = tmp_path / "broken.py"
    locustfile.write_text("import nothing_called_this\n")
    with pytest.raises(InputError, match="broken.py"):
        run_load(LoadSpec(users=1, spawn_rate=1, duration=2, locustfile=locustfile), "http://127.0.0.1:9")


def test_stages_change_the_user_count():
    load = LoadSpec(
        users=1,
        spawn_rate=1,
        duration=6,
        wait=(0.05, 0.05),
        stages=(LoadStage(3, 2, 50), LoadStage(3, 6, 50)),
        tasks=(LoadTask("browse", "GET", "/fast"),),
    )
    with TargetServer() as server:
        result = run_load(load, server.url)
    users = {p.t: p.users for p in result.series if p.endpoint == ALL_ENDPOINTS}
    assert users[0] == users[1] == 2
    assert users[4] == users[5] == 6


def test_workers_produce_the_same_shape_of_series():
    load = LoadSpec(
        users=4,
        spawn_rate=50,
        duration=4,
        workers=2,
        wait=(0.02, 0.05),
        tasks=(LoadTask("browse", "GET", "/fast"), LoadTask("search", "GET", "/slow")),
    )
    with TargetServer() as server:
        result = run_load(load, server.url)
        hits = sum(server.hits.values())
    assert result.error is None
    seconds = sorted({p.t for p in result.series})
    assert seconds[:4] == [0, 1, 2, 3]
    assert {p.endpoint for p in result.series} == {ALL_ENDPOINTS, "browse", "search"}
    aggregates = [p for p in result.series if p.endpoint == ALL_ENDPOINTS]
    assert [p.t for p in aggregates] == seconds  # one merged record per second
    assert max(p.users for p in aggregates) == 4  # summed over both workers
    assert all(p.requests > 20 for p in aggregates[1:4])
    assert sum(p.requests for p in aggregates) == hits  # nothing lost between workers and master


def _children_of(pid):
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(entry))
    return children


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_reverts_the_fault_and_leaves_no_child(tmp_path, sig):
    switch_log = tmp_path / "switch.log"
    run = subprocess.Popen(
        # faulthandler: a run that does not end gets its threads' stacks dumped (below)
        [sys.executable, "-X", "faulthandler", "interrupted_run.py", str(switch_log)],
        cwd=SUPPORT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (switch_log.exists() and "apply" in switch_log.read_text()):
            assert run.poll() is None, run.stderr.read()
            assert time.monotonic() < deadline, "the fault was never applied"
            time.sleep(0.1)
        time.sleep(1.0)
        children = _children_of(run.pid)
        assert children, "no Locust child found"
        run.send_signal(sig)
        try:
            out, err = run.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            run.send_signal(signal.SIGABRT)
            pytest.fail(f"the run did not end 30 s after {sig.name}; its threads:\n{run.communicate()[1][-8000:]}")
    finally:
        if run.poll() is None:
            run.kill()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["interrupted"] is True
    assert summary["duration"] < 30 and summary["seconds"] >= 1 and summary["requests"] > 0
    assert switch_log.read_text().splitlines() == ["apply slow-backend", "clear slow-backend"]
    assert summary["faults"][-1] == ["slow-backend", "removed", "interrupted"]
    assert not [pid for pid in children if _alive(pid)]


def test_the_child_config_is_private_and_removed_with_the_processes():
    from envsim.run.child_config import child_config
    from envsim.run.child_processes import LoadProcess

    task = LoadTask("browse", "GET", "/fast", headers=(("Authorization", Template((SecretRef("token"),))),))
    config = child_config(
        LoadSpec(users=1, spawn_rate=1, duration=30, tasks=(task,)), "http://127.0.0.1:9", {"token": "do-not-leak"}
    )
    process = LoadProcess(config)
    process.start()
    try:
        directory = process.directory
        assert os.stat(directory).st_mode & 0o777 == 0o700
        assert os.stat(directory / "config.json").st_mode & 0o777 == 0o600
        message = process.next_message(30)
        assert message["type"] == "started"
        assert "do-not-leak" not in process.log_tail()
    finally:
        process.close()
    assert not directory.exists()
    assert not [pid for pid in process.pids if _alive(pid)]


def test_a_killed_parent_leaves_no_locust_process_and_no_config_behind(tmp_path):
    # SIGKILL gives envsim no chance to clean up: the Locust child must notice and go at once,
    # taking its config (which holds rendered secrets) with it.
    switch_log = tmp_path / "switch.log"
    run = subprocess.Popen(
        # faulthandler: a run that does not end gets its threads' stacks dumped (below)
        [sys.executable, "-X", "faulthandler", "interrupted_run.py", str(switch_log)],
        cwd=SUPPORT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (switch_log.exists() and "apply" in switch_log.read_text()):
            assert time.monotonic() < deadline, "the fault was never applied"
            time.sleep(0.1)
        children = _children_of(run.pid)
        assert children, "no Locust child found"
        config_dirs = {
            Path(arg).parent
            for pid in children
            for arg in Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            if arg.endswith("config.json")
        }
        assert config_dirs and all(d.exists() for d in config_dirs)
        run.kill()
        run.wait()
        deadline = time.monotonic() + 3  # the child looks for its parent twice a second
        while [pid for pid in children if _alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        if run.poll() is None:
            run.kill()
    assert not [pid for pid in children if _alive(pid)]
    assert not [d for d in config_dirs if d.exists()]


BUSY_LOCUSTFILE = """
import time
from locust import User, constant, task

class Busy(User):
    wait_time = constant(0)

    @task
    def compute(self):  # holds gevent's loop: no greenlet runs meanwhile
        end = time.perf_counter() + 60
        while time.perf_counter() < end:
            pass
"""


def test_a_killed_parent_is_noticed_even_while_the_locustfile_holds_the_loop(tmp_path):
    # the orphan check ran as a greenlet, so a locustfile that computed kept the child alive
    # (and its secrets-holding config on disk) for as long as it computed
    locustfile = tmp_path / "busy.py"
    locustfile.write_text(BUSY_LOCUSTFILE)
    run = subprocess.Popen(
        [sys.executable, "busy_locust_run.py", str(locustfile)],
        cwd=SUPPORT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while not (children := _children_of(run.pid)):
            assert time.monotonic() < deadline, "no Locust child found"
            time.sleep(0.1)
        config_dirs = {
            Path(arg).parent
            for pid in children
            for arg in Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            if arg.endswith("config.json")
        }
        time.sleep(4)  # Locust is imported and the busy task has the loop
        assert all(_alive(pid) for pid in children)
        run.kill()
        run.wait()
        deadline = time.monotonic() + 3
        while [pid for pid in children if _alive(pid)] and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in children if _alive(pid)]
    finally:
        if run.poll() is None:
            run.kill()
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert config_dirs
    assert not left
    assert not [d for d in config_dirs if d.exists()]
