"""Containers that exit at start, or that something else removes: `up` and `run` say which, and
exit 3, never "is up" over a stopped container and never a verdict or a traceback."""

from __future__ import annotations

import json
import threading
import time

import pytest
from conftest import Cli
from e2e_support import NOTHING_LEFT, browse_scenario, leftovers, wait_for


def _write_profile(project, text: str) -> None:
    (project / "profiles" / "tiny.yaml").write_text(text)


def _crashing_profile(after: float, health: str = "") -> str:
    command = f"echo starting up; sleep {after}; echo 'fatal: CONFIG_PATH is not set' >&2; exit 1"
    return f"""
envsim: 1
name: tiny
services:
  worker:
    image: "redis:7"
    command: [sh, -c, "{command}"]
    {health}
"""


@pytest.mark.parametrize(
    "after, health", [(0.5, ""), (3, "health: {running_for: 6s}")], ids=["default grace", "running_for"]
)
def test_up_fails_naming_a_service_that_exits_within_its_grace_period(
    cli, engine, project, stack_name, remove_stacks, after, health
):
    remove_stacks.append(stack_name)
    _write_profile(project, _crashing_profile(after, health))
    result = cli.run("up", "tiny", "--name", stack_name)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "is up" not in result.stdout
    assert "service worker" in result.stderr and "exited with code 1" in result.stderr
    assert "fatal: CONFIG_PATH is not set" in result.stderr  # its last log lines
    assert "Traceback" not in result.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_status_lists_a_service_that_exited_after_up_as_a_problem(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    _write_profile(project, _crashing_profile(4))  # outlives the 2s grace period, then exits
    up = cli.run("up", "tiny", "--name", stack_name)
    assert up.returncode == 0, up.stderr
    flt = {"label": [f"envsim.stack={stack_name}", "envsim.service=worker"]}
    wait_for(
        lambda: all(c.status == "exited" for c in engine.containers.list(all=True, filters=flt)),
        timeout=30,
        what="the worker to exit",
    )
    status = cli.run("status", "tiny", "--name", stack_name, "--json")
    assert status.returncode == 0, status.stderr
    problems = json.loads(status.stdout)[0]["problems"]
    assert any("service worker" in p and "exited with code 1" in p for p in problems), problems


def _remove_when(engine, flt: dict, ready, volumes: list[str]) -> threading.Thread:
    """Remove the first container matching `flt` from outside envsim once `ready(container)`, as
    `docker rm -f` does (its volumes stay); the names of its volumes are added to `volumes`."""

    def remove() -> None:
        container = wait_for(
            lambda: next(iter(engine.containers.list(all=True, filters=flt)), None),
            timeout=400,
            interval=0.1,
            what="the container",
        )
        wait_for(lambda: ready(container), timeout=120, interval=0.1, what="the moment to remove it")
        volumes.extend(m["Name"] for m in container.attrs.get("Mounts", []) if m.get("Type") == "volume")
        container.remove(force=True)

    thread = threading.Thread(target=remove, daemon=True)
    thread.start()
    return thread


def test_a_container_removed_while_run_waits_for_its_health_is_named_exit_3(
    cli, engine, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    _write_profile(
        project,
        """
envsim: 1
name: tiny
services:
  cache:
    image: "redis:7"
    ports: {redis: 6379}
    publish: [redis]
    health: {cmd: [test, -e, /never], start_period: 120s}
""",
    )
    (project / "scenarios" / "tiny.yaml").write_text(
        "envsim: 1\nprofile: tiny\nload: {target: cache, users: 1, duration: 5s, tasks: [{name: root, request: GET /}]}\n"
    )
    flt = {"label": [f"envsim.stack={stack_name}", "envsim.service=cache"]}
    volumes: list[str] = []
    remover = _remove_when(engine, flt, lambda container: time.sleep(1.5) is None, volumes)  # it is being waited for
    result = cli.run("run", "scenarios/tiny.yaml", "--name", stack_name, timeout=200)
    remover.join(5)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"its container envsim-{stack_name}-cache" in result.stderr
    assert "removed from outside envsim while envsim waited for it to become healthy" in result.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT
    assert volumes  # the image's /data: the volume `docker rm -f` left is the stack's, and went with it
    assert [v for v in volumes if v in {found.name for found in engine.volumes.list()}] == []


def test_a_container_removed_during_the_load_stops_the_run_with_exit_3(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    (project / "scenarios" / "victim.yaml").write_text(browse_scenario("60s"))
    run = cli.start("run", "scenarios/victim.yaml", "--name", stack_name, "--reports", "out")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(run.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("rps" in line for line in lines), timeout=400, what="the load to begin")
        flt = {"label": [f"envsim.stack={stack_name}", "envsim.service=api"]}
        api = engine.containers.list(filters=flt)[0]
        api.remove(force=True)
        removed = time.monotonic()
        run.wait(timeout=120)
        noticed = time.monotonic() - removed
        stderr = run.stderr.read()
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 3, "".join(lines) + stderr[-3000:]
    assert noticed < 20, f"the run took {noticed:.0f}s to stop after its api was removed"
    assert "Traceback" not in stderr, stderr[-3000:]
    assert f"container {api.name} (service api) was removed from outside envsim during the load" in stderr
    assert "PASSED" not in "".join(lines) and "FAILED" not in "".join(lines)  # no verdict over a broken stack
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_a_stack_a_live_run_uses_from_another_state_directory_is_kept_by_down_unless_force(
    cli, engine, project, stack_name, remove_stacks, tmp_path
):
    remove_stacks.append(stack_name)
    (project / "scenarios" / "victim.yaml").write_text(browse_scenario("90s"))
    theirs = Cli(project, tmp_path / "their-state")  # another user's, or another CI job's
    run = theirs.start("run", "scenarios/victim.yaml", "--name", stack_name, "--reports", "out")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(run.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("rps" in line for line in lines), timeout=400, what="their load to begin")
        kept = cli.run("down", "--name", stack_name)  # from this test's own state directory
        assert kept.returncode == 3, kept.stdout + kept.stderr
        assert f"stack {stack_name} is in use by `envsim run` (pid {run.pid} on " in kept.stderr
        assert "nothing was removed" in kept.stderr and "--force" in kept.stderr
        assert leftovers(engine, stack_name)["containers"] >= 4 and run.poll() is None
        forced = cli.run("down", "--name", stack_name, "--force")
        assert forced.returncode == 0, forced.stderr
        run.wait(timeout=120)
        stderr = run.stderr.read()
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 3, stderr[-3000:]
    assert "removed from outside envsim during the load" in stderr and "Traceback" not in stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT  # their hold went with their run
