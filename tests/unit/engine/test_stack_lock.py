"""The per-stack lock: one command changes a stack at a time; a dead holder blocks nobody."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from envsim.engine.stack_lock import stack_lock
from envsim.errors import EnvironmentProblem

HOLDER = """
import sys, time
from pathlib import Path
from envsim.engine.stack_lock import stack_lock
with stack_lock(Path(sys.argv[1]), "shop", "run"):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.wait()


def test_another_process_holding_the_lock_is_named_in_the_refusal(tmp_path, holder):
    with pytest.raises(EnvironmentProblem) as refused:
        with stack_lock(tmp_path, "shop", "fault apply"):
            pass
    assert f"stack shop is busy: `envsim run` (pid {holder.pid}) holds it since" in str(refused.value)
    assert "one command changes a stack at a time" in refused.value.hint
    with stack_lock(tmp_path, "other-stack", "up"):  # other stacks are not affected
        pass


def test_a_killed_holder_leaves_the_lock_free(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with stack_lock(tmp_path, "shop", "up"):
        pass


def test_the_lock_is_reentrant_in_one_process_and_released_on_errors(tmp_path):
    with pytest.raises(RuntimeError):
        with stack_lock(tmp_path, "shop", "run"):
            with stack_lock(tmp_path, "shop", "down"):  # run removes the stack it brought up
                pass
            raise RuntimeError("the run failed")
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from envsim.engine.stack_lock import stack_lock\n"
            "with stack_lock(Path(sys.argv[1]), 'shop', 'up'): print('free')",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip() == "free", probe.stderr
    assert oct((tmp_path / "locks").stat().st_mode & 0o777) == "0o700"
