"""The Locust process's work in one process, and what the distributed roles share.

Importing Locust monkey-patches the whole process with gevent, so it runs here, never in the
envsim parent. The local runner (or the master of envsim.run.locust_child.distributed)
writes JSON lines to the stats pipe:

    {"type": "started", "t0": <wall clock of load start>, "locust_version": ..., "own_shape": bool}
    {"type": "second", "t": 0, "users": 5, "endpoints": {name: [requests, failures, [[ms, n]...]]}}
    {"type": "ended", "duration": <seconds since t0>, "stopped_early": bool}
    {"type": "error", "kind": "input" | "environment", "message": ...}

Per-second data comes from Locust's `request` event, so it works for any User class; each
request counts in the second it started (the event's `start_time`). Requests in flight are
the ones a user's HTTP session began and whose `request` event has not fired yet: both of
Locust's session classes are wrapped here to note when a request begins. In distributed
mode each worker buckets its own requests (t0 is sent to it by the master before any user
starts) and sends completed seconds to the master once a second; the master merges them
(see WorkerMerger) and writes the same stream as a local run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from typing import Any

import gevent
import gevent.event
import locust
import psutil
from locust import events
from locust.argument_parser import get_empty_argument_parser, setup_parser_arguments
from locust.clients import HttpSession
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment
from locust.runners import STATE_STOPPED, STATE_STOPPING

from envsim.run.locust_child.users import (
    apply_default_timeout,
    declarative_user,
    locustfile_users,
    stages_shape,
    wait_time_of,
)
from envsim.run.second_buckets import InFlight, SecondBuckets


class StatsOut:
    """JSON lines to the parent's pipe; a vanished parent must not crash the shutdown path.

    In a pod the lines go to stdout, each after `marker`, and envsim reads them from the pod's
    log, where they are told apart from what Locust or a locustfile prints."""

    def __init__(self, fd: int | None, marker: str = ""):
        self.fd = fd
        self.marker = marker

    def send(self, message: dict[str, Any]) -> None:
        if self.fd is None:
            return
        data = (self.marker + json.dumps(message, separators=(",", ":")) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:
            self.fd = None


# One user greenlet has at most one request under way; a killed greenlet's request never ends.
IN_FLIGHT = InFlight(alive=lambda greenlet: not getattr(greenlet, "dead", True))


def track_in_flight() -> None:
    """Note the start of every request made through Locust's two HTTP session classes."""
    for session_class in (FastHttpSession, HttpSession):
        if getattr(session_class.request, "envsim_tracked", False):
            continue
        original = session_class.request

        def request(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            IN_FLIGHT.start(gevent.getcurrent(), time.time())
            return _original(self, *args, **kwargs)

        request.envsim_tracked = True  # type: ignore[attr-defined]
        session_class.request = request  # type: ignore[method-assign]


def failure_reason(exception: Any, response: Any) -> tuple[str, str]:
    """(kind, message): the HTTP status when there was an answer, else the exception's class."""
    status = getattr(response, "status_code", 0) or 0
    kind = f"HTTP {status}" if status else type(exception).__name__
    message = str(exception).strip() or type(exception).__name__
    return kind, message


class RequestCollector:
    """Buckets every request Locust reports; started once t0 is known."""

    def __init__(self, environment: Environment, name_is_task: bool):
        self.buckets: SecondBuckets | None = None
        self.name_is_task = name_is_task
        track_in_flight()
        environment.events.request.add_listener(self.on_request)

    def start(self, t0: float) -> None:
        self.buckets = SecondBuckets(t0)
        IN_FLIGHT.on_start = self.buckets.count_start

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        exception: Any = None,
        response: Any = None,
        start_time: float | None = None,
        **_: Any,
    ) -> None:
        IN_FLIGHT.end(gevent.getcurrent())
        if self.buckets is None:
            return
        endpoint = name if self.name_is_task else f"{request_type} {name}"
        if start_time is None:  # a locustfile firing the event itself may leave it out
            start_time = time.time() - (response_time or 0.0) / 1000
        reason = failure_reason(exception, response) if exception is not None else None
        self.buckets.record(start_time, endpoint, response_time, exception is not None, reason)


def locust_options(config: dict[str, Any]) -> argparse.Namespace:
    """Locust's own defaults (some locustfiles read environment.parsed_options), headless."""
    parser = get_empty_argument_parser(add_help=False, default_config_files=[])
    setup_parser_arguments(parser)
    options = parser.parse_args(args=["--headless"])
    options.host = config["host"]
    options.num_users = config["users"]
    options.spawn_rate = config["spawn_rate"]
    options.run_time = int(config["duration"])
    options.stop_timeout = config["stop_timeout"]
    return options


def load_users(config: dict[str, Any]) -> tuple[list[type], Any]:
    """The User classes and the load shape (None: users and spawn rate) the config asks for."""
    shape = stages_shape(config["stages"]) if config["stages"] else None
    if config["locustfile"]:
        users, shapes = locustfile_users(config["locustfile"])
        if shape is None and shapes:
            shape = shapes[0]  # a locustfile's own shape drives the load, as with plain Locust
        for user_class in users:
            apply_default_timeout(user_class, config["timeout"])
            if config.get("user_rate"):  # the scenario's rate replaces the locustfile's think time
                setattr(user_class, "wait_time", wait_time_of([0.0, 0.0], config["user_rate"]))  # noqa: B010
    else:
        users = [declarative_user(config)]
    return users, shape


def build_environment(config: dict[str, Any]) -> Environment:
    users, shape = load_users(config)
    return Environment(
        user_classes=users,
        shape_class=shape,
        host=config["host"],
        events=events,
        stop_timeout=config["stop_timeout"],
        parsed_options=locust_options(config),
    )


def report_cpu(out: StatsOut, role: str) -> Any:
    """A greenlet that sends this process's CPU and its machine's once a second: where envsim
    cannot read the process itself (a pod), the saturation guard reads these."""
    process = psutil.Process()
    process.cpu_percent(None)
    psutil.cpu_percent(None)

    def send() -> None:
        while True:
            gevent.sleep(1.0)
            cpu, host = round(process.cpu_percent(None), 1), round(psutil.cpu_percent(None), 1)
            out.send({"type": "cpu", "role": role, "cpu": cpu, "host_cpu": host})

    return gevent.spawn(send)


def started_message(t0: float, environment: Environment, config: dict[str, Any]) -> dict[str, Any]:
    # own_shape: a locustfile's own shape drives the users, so the parent cannot tell how many it asks for
    own_shape = environment.shape_class is not None and not config["stages"]
    return {"type": "started", "t0": t0, "locust_version": locust.__version__, "own_shape": own_shape}


def start_load(runner: Any, environment: Environment, config: dict[str, Any]) -> None:
    if environment.shape_class is not None:
        runner.start_shape()
    else:
        runner.start(config["users"], config["spawn_rate"])


def wait_for_end(runner: Any, end_at: float) -> bool:
    """Block until the duration passed, a signal came, the parent vanished or Locust stopped.

    Returns True when stopped before the duration (signal, parent gone).
    """
    stop = gevent.event.Event()
    early = []

    def stop_early(*_: Any) -> None:
        early.append(True)
        stop.set()

    gevent.signal_handler(signal.SIGTERM, stop_early)
    gevent.signal_handler(signal.SIGINT, stop_early)

    def watch_runner() -> None:  # a locustfile's shape that returns None stops the runner
        while runner.state not in (STATE_STOPPING, STATE_STOPPED):
            gevent.sleep(0.2)
        stop.set()

    def timer() -> None:
        # Against the wall clock, not gevent's cached loop time, which lags after busy startup.
        while (remaining := end_at - time.time()) > 0:
            gevent.sleep(min(remaining, 0.25))
        stop.set()

    helpers = [gevent.spawn(watch_runner), gevent.spawn(timer)]
    stop.wait()
    gevent.killall(helpers)
    return bool(early)


def run_local(config: dict[str, Any], out: StatsOut) -> None:
    environment = build_environment(config)
    runner = environment.create_local_runner()
    collector = RequestCollector(environment, name_is_task=not config["locustfile"])
    events.init.fire(environment=environment, runner=runner, web_ui=None)

    t0 = time.time()
    collector.start(t0)
    out.send(started_message(t0, environment, config))
    buckets = collector.buckets
    assert buckets is not None

    def tick() -> None:
        while True:
            now = time.time()
            for record in buckets.pop_before(buckets.second_of(now), runner.user_count, IN_FLIGHT.at):
                out.send({"type": "second", **record})
            gevent.sleep(1.0 - ((now - t0) % 1.0) + 0.005)

    ticker = gevent.spawn(tick)
    cpu = report_cpu(out, "locust") if config.get("report_cpu") else None
    start_load(runner, environment, config)
    stopped_early = wait_for_end(runner, t0 + config["duration"])
    if cpu is not None:
        cpu.kill()
    users_at_end = runner.user_count
    at_end = IN_FLIGHT.at(time.time())  # what was still under way when the load ended
    runner.stop()  # users get stop_timeout to finish the request under way
    ticker.kill()
    for record in buckets.pop_all(users_at_end, lambda when: at_end):
        out.send({"type": "second", **record})
    out.send({"type": "ended", "duration": time.time() - t0, "stopped_early": stopped_early})
    events.quitting.fire(environment=environment, reason="envsim")
    runner.quit()
