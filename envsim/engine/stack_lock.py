"""One command at a time changes a stack: a per-stack lock in the state directory.

An advisory `flock` on `<state>/locks/<stack>.lock`: the kernel releases it when the holder
exits, however it exits (SIGKILL included), so a dead holder never blocks anyone and there is
nothing to steal. Within one process the lock is re-entrant (`run` brings a stack up and
removes it while holding it). The file says who holds it, for the message others get.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from envsim.errors import EnvironmentProblem

_held: dict[str, tuple[int, int]] = {}  # lock path -> (file descriptor, depth) in this process
_guard = threading.Lock()


def lock_path(root: Path, stack: str) -> Path:
    return root / "locks" / f"{stack}.lock"


@contextlib.contextmanager
def stack_lock(root: Path, stack: str, command: str) -> Iterator[None]:
    """Hold stack `stack`'s lock for `command` ("up", "run", "down", "fault apply", ...).

    EnvironmentProblem at once, naming the holder, when another process holds it.
    """
    path = lock_path(root, stack)
    key = str(path)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
        else:
            _held[key] = (_acquire(path, stack, command), 1)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[key]
            if depth > 1:
                _held[key] = (fd, depth - 1)
            else:
                del _held[key]
                os.close(fd)  # closing the descriptor releases the flock


def _acquire(path: Path, stack: str, command: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise EnvironmentProblem(
            f"stack {stack} is busy: {holder}",
            hint="wait for that command to finish (or stop it); one command changes a stack at a time",
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}).encode(), 0)
    return fd


def _holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
        since = time.strftime("%H:%M:%S", time.localtime(float(data["since"])))
        return f"`envsim {data['command']}` (pid {data['pid']}) holds it since {since}"
    except (ValueError, KeyError, OSError):
        return "another envsim command holds it"
