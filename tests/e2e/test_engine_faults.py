"""The Docker engine absent, or gone mid-run: a clear message and exit 3, never a traceback
or a hang; once the engine is back, `envsim down` removes everything."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_support import NOTHING_LEFT, browse_scenario, leftovers, wait_for

RELAY = Path(__file__).with_name("engine_relay.py")
SCENARIO = browse_scenario("40s")


def _dead_socket(path: Path) -> str:
    """A socket file nobody listens on, as a stopped engine leaves behind."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()
    return f"unix://{path}"


@pytest.mark.docker_free
@pytest.mark.parametrize("host", ["dead-socket", "no-socket"])
@pytest.mark.parametrize(
    "args",
    [["up", "base"], ["run", "scenarios/victim.yaml"], ["status"], ["status", "base"], ["down", "base"]],
    ids=lambda a: " ".join(a),
)
def test_no_engine_says_where_it_looked_and_exits_3(cli, project, tmp_path, args, host):
    (project / "scenarios" / "victim.yaml").write_text(SCENARIO)
    address = _dead_socket(tmp_path / "engine.sock") if host == "dead-socket" else f"unix://{tmp_path}/none.sock"
    cli.env["DOCKER_HOST"] = address
    done = cli.run(*args, timeout=60)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"envsim: error: no Docker engine answers at {address} (DOCKER_HOST): ")
    assert "envsim started, changed and removed nothing" in first
    assert "hint: start the engine" in done.stderr


class Relay:
    """engine_relay.py as a child process: DOCKER_HOST for envsim, and a switch to kill it."""

    def __init__(self, path: Path):
        self.path, self.process = path, None

    @property
    def address(self) -> str:
        return f"unix://{self.path}"

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(RELAY), str(self.path)], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def relay(stack_name):
    relay = Relay(Path(f"/tmp/envsim-relay-{stack_name}.sock"))  # a short path: sun_path holds 108 bytes
    yield relay
    relay.kill()
    relay.path.unlink(missing_ok=True)


def test_engine_gone_mid_run_is_named_and_down_afterwards_removes_all(
    cli, engine, project, stack_name, relay, remove_stacks
):
    remove_stacks.append(stack_name)
    (project / "scenarios" / "victim.yaml").write_text(SCENARIO)
    relay.start()
    cli.env["DOCKER_HOST"] = relay.address
    run = cli.start("run", "scenarios/victim.yaml", "--name", stack_name, "--reports", "out")
    try:
        flt = {"label": [f"envsim.stack={stack_name}", "envsim.role=service", "envsim.service=api"]}
        wait_for(lambda: engine.containers.list(filters=flt), timeout=400, what="the api container")
        time.sleep(8)  # the api is healthy and load has begun
        relay.kill()
        lost = time.monotonic()
        stdout, stderr = run.communicate(timeout=60)
        noticed = time.monotonic() - lost
    finally:
        relay.kill()
        if run.poll() is None:
            run.kill()
    assert run.returncode == 3, stdout + stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert noticed < 15, f"envsim took {noticed:.0f}s to end after the engine went away"
    assert "the Docker engine stopped answering" in stderr, stderr[-3000:]
    assert f"envsim down --name {stack_name}" in stderr
    assert leftovers(engine, stack_name) != NOTHING_LEFT  # the engine was gone: the stack could not be removed

    relay.start()  # the engine is back
    done = cli.run("down", "base", "--name", stack_name)
    assert done.returncode == 0, done.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT


def test_engine_gone_during_up_is_named_without_a_traceback(cli, engine, project, stack_name, relay, remove_stacks):
    remove_stacks.append(stack_name)
    relay.start()
    cli.env["DOCKER_HOST"] = relay.address
    up = cli.start("up", "base", "--name", stack_name)
    try:
        flt = {"label": [f"envsim.stack={stack_name}", "envsim.role=service"]}
        wait_for(lambda: engine.containers.list(filters=flt), timeout=400, what="a service container")
        relay.kill()  # while envsim waits for the services' health
        lost = time.monotonic()
        stdout, stderr = up.communicate(timeout=120)
        noticed = time.monotonic() - lost
    finally:
        relay.kill()
        if up.poll() is None:
            up.kill()
    assert up.returncode == 3, stdout + stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert noticed < 15, f"envsim took {noticed:.0f}s to end after the engine went away"
    assert f"the Docker engine stopped answering at {relay.address} (DOCKER_HOST)" in stderr
    assert "`envsim down --name STACK` removes what is left" in stderr
