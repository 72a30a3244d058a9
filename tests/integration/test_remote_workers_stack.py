"""A stack published on an address workers elsewhere reach: `envsim up --publish-address`.

The second machine is a network namespace joined to this one by a veth pair (its only route):
`envsim worker` there joins the run's master and sends the load to the stack's entry point
on this side of the pair. The same stack published on 127.0.0.1 only is refused for such
workers, before any load: they would have loaded their own machine. A run that starts the
stack itself on every address (0.0.0.0) sends the worker the address it joined the master at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from ok_web_app import OK_APP
from run_support.second_host import envsim_in, routes_in

from envsim import api
from envsim.engine.docker_engine import labeled_containers
from envsim.run.child_processes import free_port
from envsim.run.progress import RunObserver, RunStart

REPO = Path(__file__).resolve().parents[2]


SCENARIO = """envsim: 1
profile: {name}
load:
  target: app
  users: 2
  spawn_rate: 2
  duration: 6s
  wait: [20ms, 50ms]
  tasks:
    - {{name: browse, request: "GET /fast"}}
checks:
  - {{metric: error_rate, below: 1%}}
  - {{metric: rps, above: 5}}
"""


def _project(directory: Path, name: str) -> tuple[Path, Path]:
    (directory / ".git").mkdir(parents=True)  # the repo root that paths may not leave
    (directory / "profiles").mkdir()
    (directory / "scenarios").mkdir()
    profile = directory / "profiles" / f"{name}.yaml"
    profile.write_text(
        f"envsim: 1\nname: {name}\nservices:\n  app:\n    image: python:3.11-slim\n"
        f"    command: {json.dumps(['python', '-c', OK_APP])}\n    ports: {{http: 8000}}\n    publish: [http]\n"
        "    health: {http: /healthz, interval: 1s}\n",
        encoding="utf-8",
    )
    scenario = directory / "scenarios" / "browse.yaml"
    scenario.write_text(SCENARIO.format(name=name), encoding="utf-8")
    return profile, scenario


class _Target(RunObserver):
    """The URL the load was sent to, as the run started it."""

    url = ""

    def on_start(self, start: RunStart) -> None:
        self.url = start.target_url


def _bindings(engine, stack: str) -> dict[str, set[str]]:
    """Per role of the stack's containers, the host addresses their ports are published on."""
    found: dict[str, set[str]] = {}
    for container in labeled_containers(engine, stack):
        for bindings in (container.attrs["NetworkSettings"]["Ports"] or {}).values():
            for binding in bindings or []:
                found.setdefault(container.labels["envsim.role"], set()).add(binding["HostIp"])
    return found


def _toxiproxy_api_addresses(engine, stack: str) -> set[str]:
    [toxiproxy] = [c for c in labeled_containers(engine, stack) if c.labels["envsim.role"] == "toxiproxy"]
    api_port = toxiproxy.labels["envsim.toxiproxy-api"]
    return {b["HostIp"] for b in toxiproxy.attrs["NetworkSettings"]["Ports"][f"{api_port}/tcp"]}


def _run_remote(scenario: Path, name: str, host: str, port: int, env: dict, *more: str, no_up: bool = True):
    """`envsim run` (this tree's) waiting for one worker to join its master on `host`:`port`."""
    command = [sys.executable, "-m", "envsim", "run", str(scenario), "--name", name, "--workers", "1"]
    command += ["--workers-on", "remote", "--master-bind", host, "--master-port", str(port), *more]
    command += ["--no-up"] if no_up else []
    return subprocess.run(
        command,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=180,
        cwd=scenario.parents[1],
    )


def test_a_worker_on_a_second_host_loads_the_stack_published_on_its_address(tmp_path, second_host):
    host, name = second_host.host_address, f"pub-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "ENVSIM_STATE_DIR": str(tmp_path / "state"), "NO_COLOR": "1"}
    profile, scenario = _project(tmp_path / "project", name)
    port = free_port(host)
    try:
        stack = api.up(profile, name, env=env, publish_address=host)
        entry = stack.endpoint("app")
        assert entry.startswith(f"http://{host}:")
        # only the entry point is on the pair's address: Toxiproxy's API and the direct ports stay on loopback
        assert _bindings(stack.engine, name) == {"toxiproxy": {host, "127.0.0.1"}, "service": {"127.0.0.1"}}
        assert _toxiproxy_api_addresses(stack.engine, name) == {"127.0.0.1"}
        status = api.status(name)
        assert status.publish_address == host
        assert f"entry points published on {host} (whoever reaches this address)" in status.to_text()

        worker = envsim_in(second_host.netns, "worker", "--master", f"{host}:{port}", "--name", "far-away")
        target = _Target()
        try:
            workers = api.WorkerOptions(count=1, on="remote", bind=host, port=port)
            result = api.run(
                scenario, name=name, bring_up=False, workers=workers, env=env, write=False, observer=target
            )
            out, err = worker.communicate(timeout=60)
        finally:
            worker.kill()
        assert worker.returncode == 0, err
        assert f"joined the run at {host}:{port} as far-away" in out
        assert target.url == entry  # a later run found where `up` published it, and sent it to the worker
        journal = result.journal
        assert result.passed, [(r.check_id, r.reason) for r in result.verdict.results]
        assert {s.worker for s in journal.worker_seconds} == {"far-away"}
        requests = sum(p.requests for p in journal.series if p.endpoint == "")
        assert requests == sum(s.requests for s in journal.worker_seconds) > 20
        assert sum(p.failures for p in journal.series if p.endpoint == "") == 0
        # the namespace reaches nothing but the pair's other side: every request went over the veth
        [route] = routes_in(second_host.netns)
        assert route.startswith(f"{host.rsplit('.', 1)[0]}.0/30 ") and "default" not in route

        # `up` again without the address converges to loopback; workers elsewhere are then refused
        api.up(profile, name, env=env)
        assert api.status(name).publish_address == "127.0.0.1"
        refused = _run_remote(scenario, name, host, port, env)
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr
        assert "the stack's entry points are published on 127.0.0.1 only" in refused.stderr
        assert "would send the load to its own machine" in refused.stderr
        elsewhere = _run_remote(scenario, name, host, port, env, "--publish-address", host)
        assert elsewhere.returncode == 2, elsewhere.stderr
        assert f"runs with its entry points published on 127.0.0.1; `envsim up {name} --publish-address {host}`" in (
            elsewhere.stderr
        )
    finally:
        api.down(name, env=env)


def test_a_run_that_starts_the_stack_on_every_address_sends_the_worker_the_address_it_joined_at(tmp_path, second_host):
    host, name = second_host.host_address, f"pub-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "ENVSIM_STATE_DIR": str(tmp_path / "state"), "NO_COLOR": "1"}
    _, scenario = _project(tmp_path / "project", name)
    reports = tmp_path / "reports"
    port = free_port(host)
    worker = envsim_in(second_host.netns, "worker", "--master", f"{host}:{port}", "--name", "far-away")
    try:
        more = ("--publish-address", "0.0.0.0", "--reports", str(reports))
        done = _run_remote(scenario, name, host, port, env, *more, no_up=False)
        out, err = worker.communicate(timeout=60)
    finally:
        worker.kill()
        api.down(name, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert worker.returncode == 0, err
    assert f"joined the run at {host}:{port} as far-away" in out
    journal = api.read_journal(reports / "journal.json")
    assert {s.worker for s in journal.worker_seconds} == {"far-away"}
    assert sum(s.requests for s in journal.worker_seconds) > 20
    assert sum(p.failures for p in journal.series if p.endpoint == "") == 0
    assert "verdict: PASS" in done.stdout
