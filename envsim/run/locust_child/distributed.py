"""Locust's own distributed mode: the master and its workers (MasterRunner, WorkerRunner).

A worker, started by envsim on this machine or by `envsim worker` on another, connects to the
master and says hello with its name and its envsim and Locust versions. The master refuses a
worker whose versions differ from its own (the same scenario would not mean the same load)
and sends an accepted one the load's config (a worker from elsewhere also gets the
locustfile's text). Load starts once the expected number of workers is accepted.

Besides the stream a local run writes (see roles), the master writes to the stats pipe:

    {"type": "worker_joined", "worker": name, "host": ..., "pid": ...}
    {"type": "worker_second", "worker": name, "t": 3, "users": 5, "requests": 41, "cpu": 12.5}
    {"type": "worker_lost", "worker": name, "t": <seconds since t0>, "how": ...}
    {"type": "worker_back", "worker": name, "t": <seconds since t0>}

A worker is lost when Locust's heartbeat check marks it missing (no heartbeat for
HEARTBEAT_LIVENESS intervals) or when it leaves before the load ended. A missing worker whose
heartbeats come again was starved (of CPU, or its network stalled), not dead: it ran its users
all along, while Locust gave them to the other workers too. It is back, and can be lost again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import gevent
import locust
import psutil
from locust import events
from locust.env import Environment
from locust.rpc import Message

from envsim import __version__ as ENVSIM_VERSION
from envsim.run.locust_child.roles import (
    IN_FLIGHT,
    RequestCollector,
    StatsOut,
    build_environment,
    load_users,
    locust_options,
    report_cpu,
    start_load,
    started_message,
    wait_for_end,
)
from envsim.run.open_files import warn_if_short_of_files
from envsim.run.second_buckets import WorkerMerger
from envsim.run.worker_log import version_mismatch

MSG_HELLO = "envsim_hello"  # worker -> master: name, versions, whether it needs the locustfile's text
MSG_WELCOME = "envsim_welcome"  # master -> worker: the config
MSG_REFUSED = "envsim_refused"  # master -> worker: why not
MSG_T0 = "envsim_t0"
MSG_SECONDS = "envsim_seconds"
DEFAULT_JOIN_TIMEOUT = 60.0
FINAL_REPORT_TIMEOUT = 5.0


class WorkerRefused(Exception):
    """The master would not take this worker, or could not be reached."""


def versions() -> dict[str, str]:
    return {"envsim": ENVSIM_VERSION, "locust": locust.__version__}


class Roster:
    """The workers the master accepted, by Locust client id, and the ones it lost."""

    def __init__(self, runner: Any, config: dict[str, Any], out: StatsOut):
        self.runner, self.config, self.out = runner, config, out
        self.names: dict[str, str] = {}
        self.lost: set[str] = set()
        self.refused: list[str] = []  # "NAME: why", for the message when too few joined

    def on_hello(self, environment: Environment, msg: Any, **_: Any) -> None:
        hello = msg.data or {}
        problem = version_mismatch(hello, versions())
        if problem is None and len(self.names) >= self.config["workers"]:
            problem = f"the run has all its {self.config['workers']} workers"
        if problem is not None:
            self.runner.send_message(MSG_REFUSED, {"reason": problem}, msg.node_id)
            self.refused.append(f"{hello.get('name') or msg.node_id}: {problem}")
            self.out.send({"type": "worker_refused", "worker": str(hello.get("name", "")), "reason": problem})
            return
        self.names[msg.node_id] = self._unique(str(hello.get("name") or msg.node_id))
        welcome: dict[str, Any] = {"config": self.config, "name": self.names[msg.node_id]}
        if hello.get("needs_source") and self.config["locustfile"]:
            welcome["locustfile_source"] = Path(self.config["locustfile"]).read_text(encoding="utf-8")
        self.runner.send_message(MSG_WELCOME, welcome, msg.node_id)
        joined = {"worker": self.names[msg.node_id], "host": hello.get("host", ""), "pid": hello.get("pid", 0)}
        self.out.send({"type": "worker_joined", **joined})

    def _unique(self, name: str) -> str:
        taken, candidate, n = set(self.names.values()), name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}-{n}"
        return candidate

    def ready(self) -> int:
        return sum(1 for client in self.runner.clients.ready if client.id in self.names)

    def newly_lost(self) -> list[tuple[str, str]]:
        """(client id, how) of accepted workers gone since the last call."""
        gone = []
        for client_id in self.names:
            if client_id in self.lost:
                continue
            client = self.runner.clients.get(client_id)
            if client is None or client.state == "missing":
                self.lost.add(client_id)
                gone.append((client_id, "left the run" if client is None else "stopped sending heartbeats"))
        return gone

    def newly_back(self) -> list[str]:
        """Client ids of lost workers whose heartbeats came again since the last call."""
        back = []
        for client_id in list(self.lost):
            client = self.runner.clients.get(client_id)
            if client is not None and client.state != "missing":
                self.lost.discard(client_id)
                back.append(client_id)
        return back


def run_master(config: dict[str, Any], out: StatsOut, bind: str, port: int) -> None:
    environment = build_environment(config)
    runner = environment.create_master_runner(bind, port)
    events.init.fire(environment=environment, runner=runner, web_ui=None)
    roster = Roster(runner, config, out)
    runner.register_message(MSG_HELLO, roster.on_hello)
    if not _await_workers(runner, roster, config, out):
        return
    merger = WorkerMerger(list(roster.names))

    def on_seconds(environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data
        merger.add(msg.node_id, data["seconds"], data["watermark"], data["final"])
        name = roster.names.get(msg.node_id, msg.node_id)
        for record in data["seconds"]:
            requests = sum(entry[0] for entry in record["endpoints"].values())
            sample = {"worker": name, "t": record["t"], "users": record["users"], "requests": requests}
            out.send({"type": "worker_second", **sample, "cpu": data.get("cpu")})

    runner.register_message(MSG_SECONDS, on_seconds)
    t0 = time.time()

    def tick() -> None:
        while True:
            for client_id, how in roster.newly_lost():
                merger.forget(client_id)  # its seconds must not hold back the others'
                lost = {"worker": roster.names[client_id], "t": round(time.time() - t0, 3), "how": how}
                out.send({"type": "worker_lost", **lost})
            for client_id in roster.newly_back():  # its seconds join the records not yet released
                out.send({"type": "worker_back", "worker": roster.names[client_id], "t": round(time.time() - t0, 3)})
            live = {client.id for client in runner.clients.all if client.state != "missing"}
            for record in merger.pop_ready(live):
                out.send({"type": "second", **record})
            gevent.sleep(0.25)

    # before the spawn messages, so no request predates it (locust types data as a dict; any msgpack value goes)
    runner.send_message(MSG_T0, t0)  # type: ignore[arg-type]
    out.send(started_message(t0, environment, config))
    ticker = gevent.spawn(tick)
    cpu = report_cpu(out, "master") if config.get("report_cpu") else None
    start_load(runner, environment, config)
    stopped_early = wait_for_end(runner, t0 + config["duration"])
    ticker.kill()
    if cpu is not None:
        cpu.kill()  # from here on, workers leave because the load ended
    _finish(runner, environment, merger, out, t0, stopped_early)


def _finish(
    runner: Any, environment: Environment, merger: WorkerMerger, out: StatsOut, t0: float, stopped_early: bool
) -> None:
    """Stop the workers, write their last seconds and 'ended', and let every worker go."""
    runner.stop()  # workers send their last seconds before confirming the stop
    deadline = time.time() + FINAL_REPORT_TIMEOUT
    while not merger.all_final and time.time() < deadline:
        gevent.sleep(0.05)
    for record in merger.pop_all():
        out.send({"type": "second", **record})
    out.send({"type": "ended", "duration": time.time() - t0, "stopped_early": stopped_early})
    # Stopped workers are off Locust's client list until they report ready again, so its
    # quit() would not reach them: tell each one directly.
    for worker in merger.workers:
        runner.server.send_to_client(Message("quit", None, worker))
    events.quitting.fire(environment=environment, reason="envsim")
    runner.quit()


def _await_workers(runner: Any, roster: Roster, config: dict[str, Any], out: StatsOut) -> bool:
    timeout = float(config.get("join_timeout") or DEFAULT_JOIN_TIMEOUT)
    deadline = time.time() + timeout
    while roster.ready() < config["workers"]:
        if time.time() > deadline:
            message = f"{roster.ready()} of {config['workers']} Locust workers joined within {timeout:g}s"
            message += "".join(f"; refused {refusal}" for refusal in roster.refused)
            out.send({"type": "error", "kind": "environment", "message": message})
            runner.quit()
            return False
        gevent.sleep(0.05)
    return True


class _WorkerState:
    """What a worker learned from its master: the config, or why it was refused."""

    def __init__(self) -> None:
        self.collector: RequestCollector | None = None
        self.refused: str | None = None
        self.users_at_end: list[int] = []
        self.in_flight_at_end: list[tuple[int, float]] = []
        # where envsim cannot read this process (a pod), its CPU over each second it reports,
        # rather than Locust's reading, which is renewed every 5 s
        self.own_cpu: psutil.Process | None = None


def run_worker(host: str, port: int, name: str, *, local: bool) -> None:
    """Join the master at host:port and run the share of users it gives this worker."""
    environment = Environment(user_classes=[], events=events)
    try:
        runner = environment.create_worker_runner(host, port)
    except ConnectionError:
        raise WorkerRefused(f"no Locust master answered at {host}:{port}") from None
    state = _WorkerState()

    def on_welcome(environment: Environment, msg: Any, **_: Any) -> None:
        config = dict(msg.data["config"])
        if not local:
            warn_if_short_of_files(config)
        environment.user_classes = _users_of(config, msg.data.get("locustfile_source"))
        environment.host = config["host"]
        environment.stop_timeout = config["stop_timeout"]
        environment.parsed_options = locust_options(config)
        state.collector = RequestCollector(environment, name_is_task=not config["locustfile"])
        if config.get("report_cpu"):
            state.own_cpu = psutil.Process()
            state.own_cpu.cpu_percent(None)
        events.init.fire(environment=environment, runner=runner, web_ui=None)
        if not local:
            print(f"joined the run at {host}:{port} as {msg.data['name']}", flush=True)

    def on_refused(environment: Environment, msg: Any, **_: Any) -> None:
        state.refused = str(msg.data["reason"])
        gevent.spawn(runner.quit)

    def on_t0(environment: Environment, msg: Any, **_: Any) -> None:
        if state.collector is not None:
            state.collector.start(float(msg.data))

    for message, handler in ((MSG_WELCOME, on_welcome), (MSG_REFUSED, on_refused), (MSG_T0, on_t0)):
        runner.register_message(message, handler)
    hello = {**versions(), "name": name or f"{socket.gethostname()}-{os.getpid()}", "host": socket.gethostname()}
    runner.send_message(MSG_HELLO, {**hello, "pid": os.getpid(), "needs_source": not local})
    _report_seconds(runner, environment, state)
    if state.refused is not None:
        raise WorkerRefused(f"the master at {host}:{port} refused this worker: {state.refused}")


def _users_of(config: dict[str, Any], locustfile_source: str | None) -> list[Any]:
    """The load's user classes. A worker from elsewhere gets the locustfile's text (the master's
    path means nothing here): it is written to a private directory only while it is imported,
    so a worker killed later leaves no file behind."""
    if locustfile_source is None:
        return load_users(config)[0]
    source_dir = Path(tempfile.mkdtemp(prefix="envsim-worker-"))
    try:
        path = source_dir / Path(config["locustfile"]).name
        path.write_text(locustfile_source, encoding="utf-8")
        return load_users({**config, "locustfile": str(path)})[0]
    finally:
        shutil.rmtree(source_dir, ignore_errors=True)


def _report_seconds(runner: Any, environment: Environment, state: _WorkerState) -> None:
    """Send completed seconds (and this process's CPU) to the master once a second, until quit."""

    def report(final: bool) -> None:
        buckets = state.collector.buckets if state.collector else None
        if buckets is None:
            return
        watermark = buckets.second_of(time.time())
        if final:
            at_end = state.in_flight_at_end[-1] if state.in_flight_at_end else IN_FLIGHT.at(time.time())
            users = state.users_at_end[-1] if state.users_at_end else runner.user_count
            records = buckets.pop_all(users, lambda when: at_end)
        else:
            records = buckets.pop_before(watermark, runner.user_count, IN_FLIGHT.at)
        cpu = round(state.own_cpu.cpu_percent(None), 1) if state.own_cpu else runner.current_cpu_usage
        data = {"seconds": records, "watermark": watermark, "final": final, "cpu": cpu}
        runner.send_message(MSG_SECONDS, data)

    def tick() -> None:
        while True:
            report(final=False)
            gevent.sleep(1.0)

    # Sent before Locust's "client_stopped", so the master has every second once stopping ends.
    def on_stopping(**_: Any) -> None:
        state.users_at_end.append(runner.user_count)
        state.in_flight_at_end.append(IN_FLIGHT.at(time.time()))

    environment.events.test_stopping.add_listener(on_stopping)
    environment.events.test_stop.add_listener(lambda **_: report(final=True))
    ticker = gevent.spawn(tick)
    gevent.signal_handler(signal.SIGTERM, lambda *_: gevent.spawn(runner.quit))
    runner.greenlet.join()
    ticker.kill()
