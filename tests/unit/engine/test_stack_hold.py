"""Whether a hold's process still runs, told from its pid, boot id, start time and host."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from envsim.engine.stack_hold import holder_alive, is_hold, live_hold, this_process


class _Volume:
    def __init__(self, labels):
        self.attrs = {"Labels": labels}


def _hold_volume(holder) -> _Volume:
    return _Volume(
        {
            "envsim.stack": "shop",
            "envsim.role": "hold",
            "envsim.holder": holder.label,
            "envsim.holder-command": holder.command,
            "envsim.holder-since": "0",
        }
    )


def test_this_process_holds_while_it_runs():
    me = this_process("run")
    assert holder_alive(me)
    assert is_hold(_hold_volume(me)) and live_hold(_hold_volume(me))


def test_a_process_that_exited_holds_nothing():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    with open(f"/proc/{child.pid}/stat", encoding="ascii") as stat:
        started = stat.read().rsplit(")", 1)[1].split()[19]
    held = dataclasses.replace(this_process("up"), pid=child.pid, started=started)
    assert holder_alive(held)
    child.wait()
    assert not holder_alive(held)


def test_a_pid_reused_by_a_process_started_at_another_time_holds_nothing():
    me = this_process("run")
    assert not holder_alive(dataclasses.replace(me, started=str(int(me.started) + 1)))


def test_a_hold_made_before_this_host_booted_holds_nothing():
    assert not holder_alive(dataclasses.replace(this_process("run"), boot_id="an-earlier-boot"))


def test_a_hold_from_another_host_or_namespace_cannot_be_checked_and_counts_as_live():
    other = dataclasses.replace(this_process("run"), host="ci-runner-7", pid=1, started="1", boot_id="x")
    assert holder_alive(other)


def test_a_volume_that_is_no_hold_is_neither_hold_nor_live():
    volume = _Volume({"envsim.stack": "shop"})
    assert not is_hold(volume) and not live_hold(volume)
