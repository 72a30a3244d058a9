"""Locust user and shape classes built from the child config. Imported in the Locust child only.

Declarative tasks become one generated FastHttpUser with weighted tasks (a sequence is one
task sending its steps in order); a user's locustfile is imported as is. Each user instance
has its own HTTP session, so cookies are kept per user, and its own variables (envsim_values,
see envsim.run.locust_child.flows). Stages become a LoadTestShape.

Every request has a client timeout (the scenario's `load.timeout`, a task's own `timeout`):
a hung dependency then shows up as failed requests of the second they started in, instead of
users waiting forever. FastHttpUser's network_timeout (each read or write on the socket) and
connection_timeout are the knobs; a locustfile's classes get the default unless they set one.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from typing import Any

from locust import FastHttpUser, HttpUser, LoadTestShape, between, constant, constant_throughput
from locust.contrib.fasthttp import FastHttpSession
from locust.util.load_locustfile import load_locustfile

from envsim.run.locust_child.flows import CaptureFailed, MissingVariable, capture, draw, render_json, render_text


class LocustfileProblem(Exception):
    """The user's locustfile could not be used (import error, no User class)."""


def _is_success(status: int, expected: frozenset[int]) -> bool:
    if expected:
        return status in expected
    return 200 <= status < 400


def client_for(user: Any, timeout: float | None) -> Any:
    """The user's HTTP session for a task with its own timeout (sharing the user's cookies)."""
    if timeout is None or timeout == user.network_timeout:
        return user.client
    sessions = user.__dict__.setdefault("_envsim_sessions", {})
    if timeout not in sessions:
        session = FastHttpSession(
            base_url=user.host,
            request_event=user.environment.events.request,
            user=user,
            network_timeout=timeout,
            connection_timeout=timeout,
            max_retries=0,
            insecure=True,
        )
        session.cookiejar = session.client.cookiejar = user.client.cookiejar
        sessions[timeout] = session
    return sessions[timeout]


def apply_default_timeout(user_class: type, timeout: float) -> None:
    """Give a locustfile's User class the run's client timeout unless it chose its own."""
    if issubclass(user_class, FastHttpUser):
        own = [k for k in user_class.__mro__ if issubclass(k, FastHttpUser) and k is not FastHttpUser]
        for knob in ("network_timeout", "connection_timeout"):
            if not any(knob in k.__dict__ for k in own):
                setattr(user_class, knob, timeout)
    elif issubclass(user_class, HttpUser):
        # requests has no session-wide timeout: wrap the client's request for this class only
        if "envsim_timeout" not in user_class.__dict__:
            # setattr: the class is a plain `type` here, which mypy would not let take attributes
            setattr(user_class, "envsim_timeout", timeout)  # noqa: B010
            original_init = user_class.__init__

            def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
                original_init(self, *args, **kwargs)
                request = self.client.request

                def request_with_timeout(method: str, url: str, *a: Any, **kw: Any) -> Any:
                    kw.setdefault("timeout", type(self).envsim_timeout)
                    return request(method, url, *a, **kw)

                self.client.request = request_with_timeout

            setattr(user_class, "__init__", __init__)  # noqa: B010


def _send(user: Any, spec: dict[str, Any], values: dict[str, Any]) -> bool:
    """One request of a declarative task; True when it succeeded (and its captures were found)."""
    method, name = spec["method"], spec["name"]
    try:
        path = render_text(spec["path"], values)
        headers = {key: render_text(value, values) for key, value in (spec.get("headers") or {}).items()} or None
        body = render_json(spec.get("json"), spec.get("json_templates"), values)
    except MissingVariable as missing:
        # not sent: counted as a failed request of its own name, in the second it would have started
        user.environment.events.request.fire(
            request_type=method,
            name=name,
            response_time=0,
            response_length=0,
            response=None,
            context={},
            exception=missing,
            start_time=time.time(),
            url=str(spec["path"]),
        )
        return False
    expected = frozenset(spec.get("expect_status") or ())
    # Redirects are not followed: the scenario names one request, its own status is judged.
    with client_for(user, spec.get("timeout")).request(
        method, path, name=name, json=body, headers=headers, catch_response=True, allow_redirects=False
    ) as response:
        if response.status_code and _is_success(response.status_code, expected):
            try:
                captured = {
                    var: capture(source, response.json, response.headers.get)
                    for var, source in spec.get("capture") or ()
                }
            except CaptureFailed as failed:
                response.failure(str(failed))
                return False
            values.update(captured)
            user.envsim_values.update(captured)  # kept for this user's later requests
            response.success()
            return True
        if response.status_code:
            response.failure(f"unexpected status {response.status_code}")
        # status 0: a connection error, already marked as a failure by Locust
        return False


def _draw_index(user: Any, counter: Any) -> int:
    """The next number of a counter, unique across workers (worker i takes i, i + N, ...)."""
    workers = max(1, int(getattr(user, "envsim_workers", 1) or 1))
    worker = max(0, int(getattr(user.environment.runner, "worker_index", 0) or 0)) if workers > 1 else 0
    return next(counter) * workers + worker


def _make_task(spec: dict[str, Any]) -> Callable[[Any], None]:
    steps = spec.get("steps") or [spec]
    variables = spec.get("vars") or []
    runs = itertools.count()

    def task(user: Any) -> None:
        values = dict(user.envsim_values)
        if variables:
            values.update(draw(variables, _draw_index(user, runs)))
        for step in steps:  # a failed step ends the sequence for this run
            if not _send(user, step, values):
                return

    task.__name__ = f"task_{spec['name']}"
    return task


def wait_time_of(wait: list[float], user_rate: float | None = None) -> Callable[..., float]:
    """Think time between a user's tasks; with a rate, the wait that keeps the user at its share.

    constant_throughput waits what is left of the interval after the task ran, and not at all
    when the task took longer: it never catches up, so a slow app lowers the rate it gets
    (as a user waiting on it would) instead of a burst following it.
    """
    if user_rate:
        return constant_throughput(user_rate)
    low, high = wait
    return constant(low) if high <= low else between(low, high)


def declarative_user(config: dict[str, Any]) -> type:
    tasks = {_make_task(spec): int(spec.get("weight", 1)) for spec in config["tasks"]}
    variables = config.get("vars") or []
    users = itertools.count()

    def on_start(user: Any) -> None:
        user.envsim_values = draw(variables, _draw_index(user, users))

    return type(
        "ScenarioUser",
        (FastHttpUser,),
        {
            "host": config["host"],
            "wait_time": wait_time_of(config["wait"], config.get("user_rate")),
            "tasks": tasks,
            "on_start": on_start,
            "envsim_workers": int(config.get("workers") or 0),
            "network_timeout": float(config["timeout"]),
            "connection_timeout": float(config["timeout"]),
        },
    )


def locustfile_users(path: str) -> tuple[list[type], list[Any]]:
    """The User classes and LoadTestShape instances of a locustfile, imported as Locust does."""
    if not os.path.isfile(path):
        raise LocustfileProblem(f"{path}: locustfile not found")
    try:
        users, shapes = load_locustfile(path)
    except SystemExit as exc:
        raise LocustfileProblem(f"{path}: could not be imported ({exc})") from None
    except Exception as exc:  # the user's code: any error is theirs to see
        raise LocustfileProblem(f"{path}: import failed: {type(exc).__name__}: {exc}") from None
    classes = [cls for cls in users.values() if not getattr(cls, "abstract", False)]
    if not classes:
        raise LocustfileProblem(f"{path}: defines no Locust User class")
    return classes, shapes


def stages_shape(stages: list[list[float]]) -> LoadTestShape:
    """Stages run in order; the last one holds until the run's duration ends the load."""

    class StagesShape(LoadTestShape):
        def tick(self) -> tuple[int, float]:
            elapsed = self.get_run_time()
            end = 0.0
            for duration, users, spawn_rate in stages:
                end += duration
                if elapsed < end:
                    return int(users), float(spawn_rate)
            _, users, spawn_rate = stages[-1]
            return int(users), float(spawn_rate)

    return StagesShape()
