"""A signal before a command takes over its signals ends envsim with 130, not by the signal
(seen in the interruption trials: SIGTERM 0.3 s after start ended the process with -15)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# SIGNAL arrives as the command line starts, before any command installs its own handlers
EARLY = """
import os, signal, sys
import envsim.cli.failures as failures
sys.argv = ["envsim", "--version"]
command_line = failures.run_cli
def signalled_first(group):
    os.kill(os.getpid(), signal.{name})
    return command_line(group)
failures.run_cli = signalled_first
from envsim.cli import main
main()
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_before_the_command_starts_exits_130(name):
    done = subprocess.run([sys.executable, "-c", EARLY.format(name=name)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130, (done.returncode, done.stderr[-2000:])
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr


# SIGTERM arrives while Python tears the modules down, after it has put back its default handlers
# (seen in the interruption trials: a command that had printed its error ended with -15)
LATE = """
import os, signal, sys
import envsim.cli.failures as failures
sys.argv = ["envsim", "--version"]
class SignalledAtTeardown:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
failures.signalled_at_teardown = SignalledAtTeardown()
from envsim.cli import main
main()
"""


def test_a_signal_after_the_outcome_is_decided_leaves_the_exit_code_alone():
    done = subprocess.run([sys.executable, "-c", LATE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "version" in done.stdout


# A KeyboardInterrupt that ended a string exec (as while dataclasses build their methods), caught
# and handled, made `python -m envsim` end by SIGINT (seen: -2 after "interrupted" was printed)
CAUGHT_IN_EXEC = """
import sys
import envsim.cli.failures as failures
sys.argv = ["envsim", "--version"]
command_line = failures.run_cli
def with_a_caught_interrupt(group):
    try:
        exec("raise KeyboardInterrupt", {})
    except KeyboardInterrupt:
        pass
    return command_line(group)
failures.run_cli = with_a_caught_interrupt
from envsim.cli import main
main()
"""


def test_an_interrupt_caught_inside_a_string_exec_leaves_the_exit_code_alone(tmp_path):
    (tmp_path / "caught_in_exec.py").write_text(CAUGHT_IN_EXEC, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(  # -m: only that way does CPython look at the mark
        [sys.executable, "-m", "caught_in_exec"], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
