"""Who is using a stack right now, recorded on the engine beside the stack itself.

The state directory's lock only keeps out commands that use the same state directory; a
`down --all` from another shell, user or CI job uses another one, and would remove a stack in
the middle of someone's run. While `up` or `run` uses a stack, it keeps a small volume labeled
with the stack and with its process's identity: pid, the kernel's boot id, the process's start
time and the host name. A hold whose process is gone (SIGKILL, reboot) holds nothing: its pid
either no longer exists or now belongs to a process that started at another time.

A hold made in another pid namespace (a container sharing the engine) or on another machine
(a remote engine) cannot be checked from here, and is taken as alive.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsim.engine.docker_engine import labeled_volumes
from envsim.plan.stack import LABEL_PREFIX, ROLE_LABEL, STACK_LABEL

if TYPE_CHECKING:
    import docker

HOLD_ROLE = "hold"
HOLDER_LABEL = f"{LABEL_PREFIX}.holder"  # "pid boot-id start-ticks host"
COMMAND_LABEL = f"{LABEL_PREFIX}.holder-command"
SINCE_LABEL = f"{LABEL_PREFIX}.holder-since"


@dataclass(frozen=True)
class Holder:
    pid: int
    boot_id: str
    started: str  # the process's start time in clock ticks since boot (/proc/PID/stat field 22)
    host: str
    command: str = "?"
    since: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.pid} {self.boot_id} {self.started} {self.host}"

    def describe(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.since)) if self.since else "?"
        return f"`envsim {self.command}` (pid {self.pid} on {self.host}) since {when}"


def this_process(command: str) -> Holder:
    return Holder(os.getpid(), _boot_id(), _start_ticks(os.getpid()) or "?", socket.gethostname(), command, time.time())


def holder_alive(holder: Holder) -> bool:
    """Whether the process that made the hold still runs (True when that cannot be told)."""
    if holder.host != socket.gethostname():
        return True  # another machine, or a container's pid namespace: its pids mean nothing here
    booted = _boot_id()
    if not (holder.boot_id and booted):
        return True  # no boot id to compare (not Linux)
    if holder.boot_id != booted:
        return False  # made before this host last booted
    return _start_ticks(holder.pid) == holder.started


def is_hold(volume) -> bool:
    return (volume.attrs.get("Labels") or {}).get(ROLE_LABEL) == HOLD_ROLE


def live_hold(volume) -> bool:
    """Whether `volume` is a hold whose process still runs."""
    holder = _holder_of(volume)
    return holder is not None and holder_alive(holder)


def live_holders(client: docker.DockerClient, stack: str) -> list[Holder]:
    """The live processes other than this one holding `stack`."""
    found = []
    for volume in labeled_volumes(client, stack):
        holder = _holder_of(volume)
        if holder is not None and holder.pid != os.getpid() and holder_alive(holder):
            found.append(holder)
    return found


@contextlib.contextmanager
def stack_hold(client: docker.DockerClient, stack: str, command: str) -> Iterator[None]:
    """Hold `stack` on the engine for the block; released on every exit but SIGKILL."""
    holder = this_process(command)
    labels = hold_labels(stack, holder)
    volume = client.volumes.create(name=f"envsim-{stack}-hold-{holder.pid}-{os.urandom(3).hex()}", labels=labels)
    try:
        yield
    finally:
        try:
            volume.remove(force=True)
        except Exception:  # removed with the stack already, or the engine is gone (a dead hold holds nothing)
            pass


def hold_labels(stack: str, holder: Holder) -> dict[str, str]:
    """The labels of a hold, on whatever object the engine keeps it as."""
    return {
        STACK_LABEL: stack,
        ROLE_LABEL: HOLD_ROLE,
        HOLDER_LABEL: holder.label,
        COMMAND_LABEL: holder.command,
        SINCE_LABEL: f"{holder.since:.0f}",
    }


def _holder_of(volume) -> Holder | None:
    return holder_from_labels(volume.attrs.get("Labels") or {})


def holder_from_labels(labels: dict[str, str]) -> Holder | None:
    if labels.get(ROLE_LABEL) != HOLD_ROLE:
        return None
    parts = labels.get(HOLDER_LABEL, "").split(" ", 3)
    if len(parts) != 4 or not parts[0].isdigit():
        return None
    try:
        since = float(labels.get(SINCE_LABEL, "0"))
    except ValueError:
        since = 0.0
    return Holder(int(parts[0]), parts[1], parts[2], parts[3], labels.get(COMMAND_LABEL, "?"), since)


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: count from its closing one
    return stat.rsplit(")", 1)[1].split()[19]
