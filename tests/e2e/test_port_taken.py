"""A fixed host port taken by someone else: before `up` (refused before anything starts) or
between the check and the container's start (refused, and what was started removed)."""

from __future__ import annotations

import socket

import pytest
from e2e_support import NOTHING_LEFT, leftovers

PROFILE = """
envsim: 1
name: fixed-port
services:
  cache:
    image: "redis:7"
    ports: {redis: 6379}
    publish: {redis: PORT}
    health: {tcp: redis}
"""


def _held_port(port: int = 0) -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen(1)
    return holder


@pytest.fixture
def free_port() -> int:
    with _held_port() as probe:
        return probe.getsockname()[1]


def test_a_port_taken_before_up_is_refused_before_anything_starts(cli, engine, project, stack_name, free_port):
    (project / "profiles" / "fixed-port.yaml").write_text(PROFILE.replace("PORT", str(free_port)))
    with _held_port(free_port):
        done = cli.run("up", "fixed-port", "--name", stack_name)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert (
        f"port 127.0.0.1:{free_port} is taken; service cache publishes redis there; envsim started nothing"
        in done.stderr
    )
    assert "hint: free that port" in done.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT


class _TakePortAtStart:
    """An ApplyProgress that binds the port the moment envsim starts the container publishing
    it: after envsim checked the port, before the engine binds it."""

    def __init__(self, port: int):
        self.port, self.holder = port, None

    def step(self, subject: str, message: str) -> None:
        if subject == "toxiproxy" and message == "starting" and self.holder is None:
            self.holder = _held_port(self.port)


def test_a_port_taken_between_check_and_start_is_named_and_nothing_left(
    engine, project, stack_name, state_dir, free_port, remove_stacks
):
    from envsim import api
    from envsim.errors import EnvironmentProblem

    remove_stacks.append(stack_name)
    profile = project / "profiles" / "fixed-port.yaml"
    profile.write_text(PROFILE.replace("PORT", str(free_port)))
    grab = _TakePortAtStart(free_port)
    try:
        with pytest.raises(EnvironmentProblem) as refused:
            api.up(profile, stack_name, env={"ENVSIM_STATE_DIR": str(state_dir)}, progress=grab, pull=False)
    finally:
        if grab.holder is not None:
            grab.holder.close()
    assert grab.holder is not None, "envsim never started the container publishing the port"
    assert str(refused.value).startswith(
        f"toxiproxy: host port 127.0.0.1:{free_port} is taken: it was free when "
        "envsim checked before starting, and something bound it since"
    )
    assert "free that port" in refused.value.hint
    assert leftovers(engine, stack_name) == NOTHING_LEFT
