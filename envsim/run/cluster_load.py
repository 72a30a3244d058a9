"""The Locust child of one run as pods in the stack's cluster (`--load-on cluster`).

The same child as on this machine (envsim.run.locust_child), started as Jobs (see
envsim.engine.kubernetes.load_jobs): the runner alone, or the master and its workers. The
runner or master writes its JSON lines to stdout after a marker; a reader thread follows its
pod's log and queues them, as LoadProcess does with its pipe. The pods' CPU cannot be read
from here, so the child reports its own each second (and the master its workers'), and the
saturation guard takes those readings.
"""

from __future__ import annotations

import collections
import json
import queue
import threading
from pathlib import Path
from typing import Any

from envsim.engine.kubernetes.load_jobs import LoadJobs
from envsim.errors import EnvironmentProblem
from envsim.plan.kubernetes_load import CONFIG_DIR, CONFIG_FILE, LOCUSTFILE_FILE
from envsim.run.child_processes import EOF_MESSAGE, ReportedCpu
from envsim.run.locust_child import STATS_MARKER

START_TIMEOUT = 120.0  # seconds for the runner's pod to be scheduled and its container to start
OTHER_LINES = 40  # what else the child printed, kept for messages


def pod_files(config: dict[str, Any]) -> dict[str, str]:
    """The Secret's files: the config as the pod reads it (a locustfile at its mounted path,
    the CPU readings on), and the locustfile's text."""
    config = {**config, "report_cpu": True, "cpus": []}
    files = {}
    if config.get("locustfile"):
        files[LOCUSTFILE_FILE] = Path(config["locustfile"]).read_text(encoding="utf-8")
        config["locustfile"] = f"{CONFIG_DIR}/{LOCUSTFILE_FILE}"
    files[CONFIG_FILE] = json.dumps(config)
    return files


class ClusterLoadProcess:
    """A LoadChild (see envsim.run.child_processes) whose processes are pods."""

    def __init__(self, config: dict[str, Any], jobs: LoadJobs):
        self.config, self.jobs = config, jobs
        self.main_pod: str | None = None
        self._ended = threading.Event()  # the main pod's log ended: its container exited
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader: threading.Thread | None = None
        self._other: collections.deque[str] = collections.deque(maxlen=OTHER_LINES)
        self._cpu: dict[str, float] = {}  # role -> its last reading
        self._host_cpu: float | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def roles(self) -> list[tuple[str, int]]:
        return []  # no process of it runs here

    def start(self) -> None:
        """Create the Jobs; the reader waits for the runner's pod and follows its log."""
        try:
            self.jobs.create(pod_files(self.config))
        except OSError as error:
            raise EnvironmentProblem(f"cannot read the locustfile for the load's pods: {error}") from None
        self._reader = threading.Thread(target=self._read, name="envsim-cluster-load-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            self.main_pod = self.jobs.wait_started(self.jobs.load.main_part, START_TIMEOUT, lambda: self._closed)
            for line in self.jobs.follow(self.main_pod, lambda: self._closed):
                self._line(line)
        except EnvironmentProblem as problem:
            self._messages.put({"type": "error", "kind": "environment", "message": str(problem)})
        except Exception as error:  # the apiserver went away: the run's watch names that
            self._other.append(f"reading the load's pod log failed: {error}")
        finally:
            self._ended.set()
            self._messages.put(EOF_MESSAGE)

    def _line(self, line: str) -> None:
        if not line.startswith(STATS_MARKER):
            self._other.append(line)
            return
        try:
            message = json.loads(line[len(STATS_MARKER) :])
        except ValueError:
            return
        if message.get("type") == "cpu":
            with self._lock:
                self._cpu[str(message["role"])] = float(message["cpu"])
                self._host_cpu = float(message["host_cpu"])
            return
        if message.get("type") == "worker_second" and message.get("cpu") is not None:
            with self._lock:
                self._cpu[str(message["worker"])] = float(message["cpu"])
        self._messages.put(message)

    def started(self) -> bool:
        return self._reader is not None

    def running(self) -> bool:
        return self._reader is not None and not self._ended.is_set()

    def next_message(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self._messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def request_stop(self) -> None:
        if self.main_pod is not None and not self._ended.is_set():
            self.jobs.stop(self.main_pod)

    def reported_cpu(self) -> ReportedCpu:
        with self._lock:
            return self._host_cpu, [(role, 0, cpu, 0.0) for role, cpu in sorted(self._cpu.items())]

    def log_tail(self) -> str:
        own = "\n".join(self._other)
        try:
            tails = [self.jobs.log_tail(part) for part in self.jobs.load.parts[1:]]
        except Exception:
            tails = []
        return "\n".join(filter(None, [own, *tails]))

    def close(self) -> None:
        """Remove every Job, pod, Service and Secret of the load and wait until they are gone."""
        self._closed = True
        self.jobs.remove()
        if self._reader is not None:
            self._reader.join(5.0)
