"""`envsim up` / `status` / `fault` / `down` against the example shop on a real engine."""

from __future__ import annotations

import json
import re
import signal
import socket
import statistics
import time
import urllib.request

import pytest
from e2e_support import NOTHING_LEFT, interrupt, leftovers, service_containers, stack_container_ids, wait_for

from envsim.images import ImageRequirement, ensure_images


def median_request_seconds(url: str, count: int = 9) -> float:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            assert response.status == 200
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def entry_url(up_output: str) -> str:
    match = re.search(r"api-http: (http://127\.0\.0\.1:\d+)", up_output)
    assert match, up_output
    return match.group(1)


def test_up_serves_converges_takes_faults_and_down_leaves_nothing(cli, engine, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    first = cli.run("up", "prod-like", "--name", stack_name)
    assert first.returncode == 0, first.stderr
    url = entry_url(first.stdout)
    with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
        assert response.status == 200

    # Idempotent: a second `up` keeps every container instead of duplicating or replacing it.
    ids = stack_container_ids(engine, stack_name)
    again = cli.run("up", "prod-like", "--name", stack_name)
    assert again.returncode == 0, again.stderr
    assert stack_container_ids(engine, stack_name) == ids
    assert len(ids) == 4  # toxiproxy, db, cache, api

    status = json.loads(cli.run("status", "--name", stack_name, "--json").stdout)
    (stack,) = status
    assert {p["name"] for p in stack["proxies"]} == {"api-http", "db-pg", "cache-redis"}
    assert all(c["state"] == "running" for c in stack["containers"])

    # db-slow is 200ms +-50ms on the database's traffic: a DB-backed request slows down by it.
    before = median_request_seconds(f"{url}/products/db")
    applied = cli.run("fault", "apply", "db-slow", "--name", stack_name, "-p", "prod-like")
    assert applied.returncode == 0, applied.stderr
    during = median_request_seconds(f"{url}/products/db")
    listed = cli.run("fault", "list", "--name", stack_name, "-p", "prod-like").stdout
    assert re.search(r"ACTIVE db-slow", listed), listed
    cleared = cli.run("fault", "clear", "db-slow", "--name", stack_name, "-p", "prod-like")
    assert cleared.returncode == 0, cleared.stderr
    after = median_request_seconds(f"{url}/products/db")
    assert during - before >= 0.15, (before, during)
    assert after - before < 0.1, (before, after)

    # cache-down disables the proxy: status shows it, and clearing brings it back.
    assert cli.run("fault", "apply", "cache-down", "--name", stack_name, "-p", "prod-like").returncode == 0
    proxies = {p["name"]: p for p in json.loads(cli.run("status", "--name", stack_name, "--json").stdout)[0]["proxies"]}
    assert proxies["cache-redis"]["enabled"] is False
    assert cli.run("fault", "clear", "--name", stack_name, "-p", "prod-like").returncode == 0
    proxies = {p["name"]: p for p in json.loads(cli.run("status", "--name", stack_name, "--json").stdout)[0]["proxies"]}
    assert proxies["cache-redis"]["enabled"] is True

    down = cli.run("down", "--name", stack_name, "--images")
    assert down.returncode == 0, down.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT
    assert cli.run("down", "--name", stack_name).returncode == 0  # idempotent


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_up_leaves_nothing(cli, engine, stack_name, remove_stacks, signum):
    remove_stacks.append(stack_name)
    process = cli.start("up", "prod-like", "--name", stack_name)
    # Interrupt once the first service container exists, i.e. in the middle of start-up.
    wait_for(
        lambda: service_containers(engine, stack_name),
        what="a service container",
    )
    code, _, stderr = interrupt(process, signum)
    assert code == 130, stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def _write_profile(project, text: str) -> None:
    (project / "profiles" / "tiny.yaml").write_text(text, encoding="utf-8")


def test_unhealthy_service_fails_with_its_logs_and_is_removed(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    _write_profile(
        project,
        """
envsim: 1
name: tiny
services:
  broken:
    image: python:3.11-slim
    command: [python, -c, "import sys, time; print('booting'); print('cannot reach the vault', file=sys.stderr); time.sleep(60)"]
    ports: {http: 8080}
    health: {http: /ready, interval: 300ms, timeout: 1s, start_period: 3s}
""",
    )
    result = cli.run("up", "tiny", "--name", stack_name)
    assert result.returncode == 3, result.stderr
    assert "service broken" in result.stderr and "did not become healthy" in result.stderr
    assert "cannot reach the vault" in result.stderr  # its last log lines are quoted
    assert "Traceback" not in result.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_taken_port_is_an_environment_error(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        _write_profile(
            project,
            f"""
envsim: 1
name: tiny
services:
  cache:
    image: "redis:7"
    ports: {{redis: 6379}}
    publish: {{redis: {port}}}
""",
        )
        result = cli.run("up", "tiny", "--name", stack_name)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "taken" in result.stderr and str(port) in result.stderr
    assert "Traceback" not in result.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_two_stacks_side_by_side_and_foreign_containers_untouched(cli, engine, project, stack_name, remove_stacks):
    first, second = f"{stack_name}-a", f"{stack_name}-b"
    remove_stacks.extend([first, second])
    _write_profile(
        project,
        """
envsim: 1
name: tiny
services:
  cache: {image: "redis:7", ports: {redis: 6379}, publish: [redis], health: {tcp: redis}}
""",
    )
    # the profile's redis:7 as `up` makes it available (on a machine with no registry, a stand-in
    # under envsim's own name): a container of the same image that envsim did not start
    redis = ensure_images([ImageRequirement("redis:7", "image")], engine)["redis:7"]
    foreign = engine.containers.run(redis, detach=True, name=f"not-envsim-{first}")
    try:
        for name in (first, second):
            result = cli.run("up", "tiny", "--name", name)
            assert result.returncode == 0, result.stderr
        assert leftovers(engine, first)["containers"] == 2
        assert leftovers(engine, second)["containers"] == 2
        assert cli.run("down", "--name", first).returncode == 0
        assert leftovers(engine, first) == NOTHING_LEFT
        assert leftovers(engine, second)["containers"] == 2
        # nothing here removes every stack: the engine is shared with other work (that command's
        # refusal without a terminal is tested on a fake engine in tests/unit/cli/test_stack_commands.py)
        assert cli.run("down", "--name", second).returncode == 0
        assert leftovers(engine, second) == NOTHING_LEFT
        foreign.reload()
        assert foreign.status == "running"
    finally:
        foreign.remove(force=True, v=True)


def test_leftovers_of_a_killed_up_are_reaped_by_the_next_command(cli, engine, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    process = cli.start("up", "prod-like", "--name", stack_name)
    wait_for(
        lambda: service_containers(engine, stack_name),
        what="a service container",
    )
    process.kill()  # SIGKILL: no cleanup code runs
    process.communicate(timeout=30)
    assert leftovers(engine, stack_name)["containers"] >= 1
    result = cli.run("down", "--name", "some-other-stack")
    assert result.returncode == 0, result.stderr
    assert f"removed leftovers of stack {stack_name}" in result.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT
