"""Health gates for containers of a stack: the plan's HealthCheck turned into wait strategies.

http and tcp checks go to the container's direct port on 127.0.0.1, cmd checks run inside the
container. A container that exits while being waited for fails at once, with its logs.
"""

from __future__ import annotations

import threading
import time
from typing import Iterable, Mapping

from envsim.engine.docker_engine import last_log_lines
from envsim.engine.health import CommandReady, HttpReady, TcpReady, WaitStrategy
from envsim.errors import EnvironmentProblem
from envsim.plan.stack import ContainerPlan


class ServiceUnhealthy(EnvironmentProblem):
    pass


def _exec_runner(container):
    def run(command) -> tuple[int, str]:
        code, output = container.exec_run(list(command))
        return code, (output or b"").decode("utf-8", "replace")

    return run


def strategy_for(container, plan: ContainerPlan, direct_ports: Mapping[str, int]) -> WaitStrategy | None:
    check = plan.health
    if check is None:
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
    strategy = strategy_for(container, plan, direct_ports)
    check = plan.health
    deadline = time.monotonic() + (check.start_period if check else 2.0)
    # Check soon and often at first, backing off to at most half a second (or the profile's
    # interval when shorter): a service becomes ready at an arbitrary moment, and every
    # fraction of the interval spent after that moment delays its whole dependent level.
    interval = 0.1
    max_interval = min(check.interval, 0.5) if check else 0.5
    detail = "not checked"
    while True:
        if cancel.is_set():
            raise KeyboardInterrupt
        container.reload()
        if container.status in ("exited", "dead"):
            code = container.attrs.get("State", {}).get("ExitCode")
            raise ServiceUnhealthy(describe_failure(container, plan, f"the container exited with code {code}", secrets))
        if strategy is None or check is None:  # both or neither: no health check
            if container.status == "running":
                return
        else:
            attempt = strategy.check(check.timeout)
            if attempt.ok:
                return
            detail = attempt.detail
        if time.monotonic() >= deadline:
            what = strategy.description if strategy else "running"
            reason = f"{what} not ready after {check.start_period if check else 2.0:g}s (last: {detail})"
            raise ServiceUnhealthy(describe_failure(container, plan, reason, secrets))
        if cancel.wait(interval):
            raise KeyboardInterrupt
        interval = min(max_interval, interval * 2)


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
