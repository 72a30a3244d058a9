"""Starts, reads and stops the Locust child process(es) of one run. Parent side: no Locust import.

The config (which may hold rendered secret headers) goes to a 0600 file in a private 0700
temp directory, removed in `close()`. The child writes JSON lines to a pipe passed as an
inherited fd; a reader thread turns them into a queue. Each child runs in its own session,
so a Ctrl-C on the terminal reaches only envsim, which then stops the children itself.
With workers, the parent starts the master and the N workers as separate processes, or has
a launcher start the workers elsewhere (containers on the stack's network) once the master listens.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Protocol

EOF_MESSAGE = {"type": "eof"}
LOG_TAIL_BYTES = 4000


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class WorkerLauncher(Protocol):
    """Workers started elsewhere than as processes here (containers on the stack's network)."""

    def master_bind(self) -> str: ...  # the address of this machine the workers reach

    def start(self, host: str, port: int, count: int) -> list[tuple[str, int]]: ...  # (name, pid here)

    def stop(self) -> None: ...

    def log_tail(self) -> str: ...


# A second's CPU readings a child reported itself: the machine's busy share (None: unknown) and
# each process as GeneratorSample.processes has them
ReportedCpu = tuple[float | None, list[tuple[str, int, float, float]]]


class LoadChild(Protocol):
    """The Locust child(ren) of one run as the run loop sees them: processes here (LoadProcess)
    or pods in the stack's cluster (envsim.run.cluster_load)."""

    @property
    def roles(self) -> list[tuple[str, int]]: ...  # (role, pid here) of each process this machine can read

    def start(self) -> None: ...

    def started(self) -> bool: ...  # the runner (or master) was started

    def running(self) -> bool: ...  # ... and has not exited

    def next_message(self, timeout: float) -> dict[str, Any] | None: ...

    def request_stop(self) -> None: ...

    def reported_cpu(self) -> ReportedCpu | None: ...  # None: read the processes here instead

    def log_tail(self) -> str: ...

    def close(self) -> None: ...


class LoadProcess:
    def __init__(self, config: dict[str, Any], launcher: WorkerLauncher | None = None):
        self.config = config
        self.workers = int(config.get("workers") or 0)
        self.launcher = launcher  # workers_on "docker": it starts them once the master listens
        self.launched: list[tuple[str, int]] = []  # its workers as (name, pid)
        self.directory: Path | None = None
        self.main: subprocess.Popen[bytes] | None = None  # the local runner or the master
        self.worker_processes: list[subprocess.Popen[bytes]] = []
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader: threading.Thread | None = None

    @property
    def processes(self) -> list[subprocess.Popen[bytes]]:
        return ([self.main] if self.main else []) + self.worker_processes

    @property
    def roles(self) -> list[tuple[str, int]]:
        """Each process as (role, pid): "locust" alone, or "master" and "worker-N"."""
        main = [("master" if self.workers else "locust", self.main.pid)] if self.main else []
        return main + [(f"worker-{i + 1}", p.pid) for i, p in enumerate(self.worker_processes)] + self.launched

    def started(self) -> bool:
        return self.main is not None

    def running(self) -> bool:
        return self.main is not None and self.main.poll() is None

    def reported_cpu(self) -> ReportedCpu | None:
        return None  # the processes are here: the sampler reads them

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def start(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="envsim-load-"))  # mode 0700
        config_path = self.directory / "config.json"
        fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.config, handle)
        log = open(self.directory / "locust.log", "wb")
        read_fd, write_fd = os.pipe()
        base = [sys.executable, "-m", "envsim.run.locust_child", str(config_path)]
        try:
            if self.workers:
                self._start_distributed(base, log, write_fd)
            else:
                self.main = self._spawn(base + ["--stats-fd", str(write_fd)], log, write_fd)
        finally:
            os.close(write_fd)  # the child holds the only write end: EOF means it is gone
            log.close()
        self._reader = threading.Thread(target=self._read, args=(read_fd,), name="envsim-locust-reader", daemon=True)
        self._reader.start()

    def _start_distributed(self, base: list[str], log: Any, write_fd: int) -> None:
        """The master, then the workers started here: processes, or the launcher's."""
        host = self.launcher.master_bind() if self.launcher else str(self.config.get("master_bind") or "127.0.0.1")
        port = int(self.config.get("master_port") or 0) or free_port(host)
        role = ["--master-host", host, "--master-port", str(port)]
        self.main = self._spawn(base + ["--role", "master", *role, "--stats-fd", str(write_fd)], log, write_fd)
        if self.launcher is not None:
            self.launched = self.launcher.start(host, port, self.workers)
            return
        # workers joining from elsewhere (`envsim worker`) are not started here
        for index in range(self.workers if self.config.get("workers_on", "local") == "local" else 0):
            name = ["--name", f"worker-{index + 1}"]
            self.worker_processes.append(self._spawn(base + ["--role", "worker", *role, *name], log, None))

    def _spawn(self, command: list[str], log: Any, stats_fd: int | None) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            pass_fds=(stats_fd,) if stats_fd is not None else (),
            start_new_session=True,
        )
        if self.config.get("cpus"):  # before Python is up, so every thread it starts inherits it
            os.sched_setaffinity(process.pid, self.config["cpus"])
        return process

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "rb") as pipe:
            for line in pipe:
                try:
                    self._messages.put(json.loads(line))
                except ValueError:
                    continue  # not ours (cannot happen on this fd, but never crash the reader)
        self._messages.put(EOF_MESSAGE)

    def next_message(self, timeout: float) -> dict[str, Any] | None:
        """The next message from the child, EOF_MESSAGE once it closed the pipe, None on timeout."""
        try:
            return self._messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def request_stop(self) -> None:
        """Ask the runner to stop early; it still flushes its last seconds and says 'ended'."""
        if self.main is not None and self.main.poll() is None:
            _signal_group(self.main, signal.SIGTERM)

    def wait(self, timeout: float) -> bool:
        """Wait for every process to exit; True if they all did."""
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                return False
        return True

    def kill(self) -> None:
        """Leave nothing running: TERM, a short grace, then KILL, each process's whole group."""
        alive = [p for p in self.processes if p.poll() is None]
        for process in alive:
            _signal_group(process, signal.SIGTERM)
        if alive and not self.wait(3.0):
            for process in self.processes:
                _signal_group(process, signal.SIGKILL)
            self.wait(5.0)
        for process in self.processes:  # a user's locustfile may have started helpers
            _signal_group(process, signal.SIGKILL)
        if self.launcher is not None:
            self.launcher.stop()

    def log_tail(self) -> str:
        workers = self.launcher.log_tail() if self.launcher is not None else ""
        if self.directory is None:
            return workers
        try:
            with open(self.directory / "locust.log", "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - LOG_TAIL_BYTES))
                return "\n".join(filter(None, [handle.read().decode("utf-8", "replace").strip(), workers]))
        except OSError:
            return workers

    def close(self) -> None:
        self.kill()
        if self._reader is not None:
            self._reader.join(2.0)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # its own session: pgid == pid
    except (ProcessLookupError, PermissionError):
        pass
