"""Health gates for containers of a stack: the plan's HealthCheck turned into wait strategies.

http and tcp checks go to the container's direct port on 127.0.0.1, cmd checks run inside the
container. A container that exits while being waited for fails at once, with its logs. A
service without a probe (no health check, or `running_for`) is ready once its container has
kept running that long: one that crashes at start is caught here, not reported as up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping

from envsim.engine.docker_engine import last_log_lines
from envsim.engine.health import CommandReady, HttpReady, TcpReady, WaitStrategy
from envsim.engine.stack_watch import OUTSIDE_REMOVAL_HINT
from envsim.errors import EnvironmentProblem
from envsim.plan.stack import ContainerPlan

# How long a service without a health check must keep running before it counts as started.
# A service that cannot start (missing setting, unreachable dependency without retries) exits
# within a second or so; much longer would slow every `up` for services that are fine.
DEFAULT_RUNNING_FOR = 2.0


class ServiceUnhealthy(EnvironmentProblem):
    pass


def _exec_runner(container):
    def run(command) -> tuple[int, str]:
        code, output = container.exec_run(list(command))
        return code, (output or b"").decode("utf-8", "replace")

    return run


def strategy_for(container, plan: ContainerPlan, direct_ports: Mapping[str, int]) -> WaitStrategy | None:
    check = plan.health
    if check is None or check.kind == "running":
        return None
    if check.kind == "cmd":
        return CommandReady(_exec_runner(container), tuple(check.command))
    port_name = check.port or (plan.ports[0].name if plan.ports else None)
    if port_name is None or port_name not in direct_ports:
        raise ServiceUnhealthy(f"service {plan.service}: health check needs a port, and none is published")
    port = direct_ports[port_name]
    if check.kind == "http":
        return HttpReady(f"http://127.0.0.1:{port}{check.path}")
    # Docker's port forwarder accepts before the server listens; `settle` sees through that.
    return TcpReady("127.0.0.1", port, settle=0.3)


def describe_failure(container, plan: ContainerPlan, reason: str, secrets: Iterable[str]) -> str:
    lines = last_log_lines(container, 15, secrets)
    quoted = "\n".join(f"    | {line}" for line in lines) or "    (no log output)"
    return f"service {plan.service} ({plan.name}) did not become healthy: {reason}\n  last log lines:\n{quoted}"


def wait_for_container(
    container,
    plan: ContainerPlan,
    direct_ports: Mapping[str, int],
    cancel: threading.Event,
    secrets: Iterable[str],
) -> None:
    secrets = tuple(secrets)
    strategy, check = strategy_for(container, plan, direct_ports), plan.health
    if strategy is None or check is None:  # both or neither: no probe
        _wait_running(container, plan, cancel, secrets)
        return
    deadline = time.monotonic() + check.start_period
    # Check soon and often at first, backing off to at most half a second (or the profile's
    # interval when shorter): a service becomes ready at an arbitrary moment, and every
    # fraction of the interval spent after that moment delays its whole dependent level.
    interval, max_interval = 0.1, min(check.interval, 0.5)
    while True:
        if cancel.is_set():
            raise KeyboardInterrupt
        _still_running(container, plan, secrets, "waited for it to become healthy")
        attempt = strategy.check(check.timeout)
        if attempt.ok:
            return
        if time.monotonic() >= deadline:
            reason = f"{strategy.description} not ready after {check.start_period:g}s (last: {attempt.detail})"
            raise ServiceUnhealthy(describe_failure(container, plan, reason, secrets))
        if cancel.wait(interval):
            raise KeyboardInterrupt
        interval = min(max_interval, interval * 2)


def _wait_running(container, plan: ContainerPlan, cancel: threading.Event, secrets: tuple[str, ...]) -> None:
    """Ready once the container has been running for its `running_for` (DEFAULT_RUNNING_FOR)."""
    running_for = plan.health.running_for if plan.health else DEFAULT_RUNNING_FOR
    waited_since = time.monotonic()
    while True:
        _still_running(container, plan, secrets, f"waited to see it keep running for {running_for:g}s")
        if container.status == "running" and _running_seconds(container, waited_since) >= running_for:
            return
        if container.status != "running" and time.monotonic() - waited_since > max(running_for, 2.0) + 30.0:
            reason = f"its container is {container.status}, not running"
            raise ServiceUnhealthy(describe_failure(container, plan, reason, secrets))
        if cancel.wait(0.1):
            raise KeyboardInterrupt


def _still_running(container, plan: ContainerPlan, secrets: tuple[str, ...], doing: str) -> None:
    """Refresh the container; ServiceUnhealthy when it exited or was removed."""
    from docker.errors import NotFound

    try:
        container.reload()
    except NotFound:
        raise ServiceUnhealthy(
            f"service {plan.service}: its container {plan.name} was removed from outside envsim while envsim {doing}",
            hint=OUTSIDE_REMOVAL_HINT,
        ) from None
    if container.status in ("exited", "dead"):
        code = container.attrs.get("State", {}).get("ExitCode")
        raise ServiceUnhealthy(describe_failure(container, plan, f"the container exited with code {code}", secrets))


def _running_seconds(container, waited_since: float) -> float:
    """How long the container has been running: since the engine started it (a kept container
    has run for a while already), at least since envsim began waiting."""
    from datetime import datetime

    waited = time.monotonic() - waited_since
    started = str(container.attrs.get("State", {}).get("StartedAt", ""))
    try:  # RFC 3339 with nanoseconds: Python reads microseconds
        since_start = time.time() - datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return waited
    return max(waited, since_start)


def wait_for_toxiproxy(url: str, cancel: threading.Event, deadline_seconds: float = 30.0) -> None:
    strategy = HttpReady(f"{url}/version")
    deadline = time.monotonic() + deadline_seconds
    while True:
        attempt = strategy.check(2.0)
        if attempt.ok:
            return
        if time.monotonic() >= deadline:
            raise EnvironmentProblem(f"toxiproxy API at {url} did not answer: {attempt.detail}")
        if cancel.wait(0.1):
            raise KeyboardInterrupt
