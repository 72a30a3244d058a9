"""Wait strategies: is a service ready yet? Small checks behind one Protocol.

A strategy makes one attempt (`check(timeout)`); `wait_until` repeats it at an interval until
it passes, a deadline is reached or a cancel Event is set. Nothing here knows about Docker:
a command check receives the function that runs a command wherever the caller wants (inside
a container through the engine, or a plain callable in tests).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Attempt:
    ok: bool
    detail: str  # what was seen: "HTTP 503", "connection refused", the command's output


class WaitStrategy(Protocol):
    @property
    def description(self) -> str: ...

    def check(self, timeout: float) -> Attempt:
        """One attempt, giving up after `timeout` seconds. Never raises for a not-ready target."""
        ...


@dataclass(frozen=True)
class WaitPolicy:
    deadline: float = 60.0  # seconds in total before declaring the target unhealthy
    interval: float = 1.0  # pause between attempts
    attempt_timeout: float = 5.0


@dataclass(frozen=True)
class HealthResult:
    ok: bool
    attempts: int
    elapsed: float  # seconds
    last_detail: str
    description: str = ""
    cancelled: bool = False


# --------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class HttpReady:
    """An HTTP request answered with an expected status. Redirects are not followed: a 3xx is an answer."""

    url: str
    expect: Sequence[int] = range(200, 400)
    method: str = "GET"

    @property
    def description(self) -> str:
        return f"{self.method} {self.url}"

    def check(self, timeout: float) -> Attempt:
        parts = urlsplit(self.url)
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        connection = connection_type(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        try:
            connection.request(self.method, target, headers={"Connection": "close"})
            response = connection.getresponse()
            body = response.read(200).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException) as error:
            return Attempt(False, _describe_error(error))
        finally:
            connection.close()
        detail = f"HTTP {response.status}" + (f": {body}" if body else "")
        return Attempt(response.status in self.expect, detail)


@dataclass(frozen=True)
class TcpReady:
    """A TCP connection is accepted (and, with `settle`, not closed by the remote right away).

    A port published by Docker or fronted by a proxy accepts connections before the real
    server listens, then closes them at once; `settle` waits that long for such a close.
    """

    host: str
    port: int
    settle: float = 0.0

    @property
    def description(self) -> str:
        return f"tcp {self.host}:{self.port}"

    def check(self, timeout: float) -> Attempt:
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as connection:
                if self.settle <= 0:
                    return Attempt(True, "connected")
                connection.settimeout(min(self.settle, timeout))
                try:
                    data = connection.recv(1)
                except TimeoutError:
                    return Attempt(True, "connected, stayed open")
                if not data:
                    return Attempt(False, "connected, then closed by the remote")
                return Attempt(True, "connected, remote spoke first")
        except OSError as error:
            return Attempt(False, _describe_error(error))


RunCommand = Callable[[Sequence[str]], tuple[int, str]]


@dataclass(frozen=True)
class CommandReady:
    """A command exits 0. `run(command) -> (exit code, output)` executes it wherever it belongs."""

    run: RunCommand
    command: Sequence[str]

    @property
    def description(self) -> str:
        return "cmd " + " ".join(self.command)

    def check(self, timeout: float) -> Attempt:
        # The runner cannot be interrupted, so it runs in a daemon thread: an overrunning
        # attempt counts as failed and is left behind instead of holding the wait up.
        outcome: list[tuple[int, str] | BaseException] = []
        worker = threading.Thread(target=lambda: outcome.append(_capture(self.run, self.command)), daemon=True)
        worker.start()
        worker.join(timeout)
        if not outcome:
            return Attempt(False, f"no answer within {timeout:g}s")
        result = outcome[0]
        if isinstance(result, BaseException):
            return Attempt(False, f"could not run: {_describe_error(result)}")
        code, output = result
        text = output.strip()[-200:]
        return Attempt(code == 0, f"exit {code}" + (f": {text}" if text else ""))


@dataclass(frozen=True)
class AllReady:
    """Every strategy passes in the same attempt (e.g. the port accepts and /healthz says 200)."""

    strategies: tuple[WaitStrategy, ...] = field(default_factory=tuple)

    @property
    def description(self) -> str:
        return " and ".join(s.description for s in self.strategies)

    def check(self, timeout: float) -> Attempt:
        started = time.monotonic()
        for strategy in self.strategies:
            remaining = max(0.05, timeout - (time.monotonic() - started))
            attempt = strategy.check(remaining)
            if not attempt.ok:
                return Attempt(False, f"{strategy.description}: {attempt.detail}")
        return Attempt(True, "all ready")


# --------------------------------------------------------------------------- waiting


def wait_until(
    strategy: WaitStrategy,
    policy: WaitPolicy = WaitPolicy(),
    *,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> HealthResult:
    """Check until the strategy passes, the deadline passes, or `cancel` is set.

    At least one attempt is always made, even with a zero deadline.
    """
    cancel = cancel or threading.Event()
    started = clock()
    attempts = 0
    detail = "not checked"
    while True:
        if cancel.is_set():
            return _result(False, attempts, clock() - started, "cancelled", strategy, cancelled=True)
        remaining = policy.deadline - (clock() - started)
        attempt_timeout = max(0.05, min(policy.attempt_timeout, remaining))
        attempt = strategy.check(attempt_timeout)
        attempts += 1
        detail = attempt.detail
        if attempt.ok:
            return _result(True, attempts, clock() - started, detail, strategy)
        remaining = policy.deadline - (clock() - started)
        if remaining <= 0:
            return _result(False, attempts, clock() - started, detail, strategy)
        if cancel.wait(min(policy.interval, remaining)):
            return _result(False, attempts, clock() - started, detail, strategy, cancelled=True)


def wait_all(
    strategies: Mapping[str, WaitStrategy],
    policy: WaitPolicy | Mapping[str, WaitPolicy] = WaitPolicy(),
    *,
    cancel: threading.Event | None = None,
) -> dict[str, HealthResult]:
    """Wait for several targets at once; every result is returned, ready or not."""
    if not strategies:
        return {}

    def policy_for(name: str) -> WaitPolicy:
        if isinstance(policy, WaitPolicy):
            return policy
        return policy.get(name, WaitPolicy())

    with ThreadPoolExecutor(max_workers=len(strategies), thread_name_prefix="envsim-wait") as pool:
        futures = {
            name: pool.submit(wait_until, strategy, policy_for(name), cancel=cancel)
            for name, strategy in strategies.items()
        }
        return {name: future.result() for name, future in futures.items()}


def _result(
    ok: bool, attempts: int, elapsed: float, detail: str, strategy: WaitStrategy, *, cancelled: bool = False
) -> HealthResult:
    return HealthResult(ok, attempts, elapsed, detail, strategy.description, cancelled)


def _capture(run: RunCommand, command: Sequence[str]) -> tuple[int, str] | BaseException:
    try:
        return run(list(command))
    except Exception as error:
        return error


def _describe_error(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, ConnectionResetError):
        return "connection reset by the remote"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if text != type(error).__name__ else text
