"""Helpers shared by the end-to-end tests: counting what a stack left, waiting, signalling."""

from __future__ import annotations

import json
import signal
import subprocess
import time

from ok_web_app import OK_APP


def service_containers(engine, stack: str) -> list:
    # ignore_removed: envsim may remove a container between the listing and its inspection
    flt = {"label": [f"envsim.stack={stack}", "envsim.role=service"]}
    return engine.containers.list(all=True, filters=flt, ignore_removed=True)


def stack_container_ids(engine, stack: str) -> dict[str, str]:
    flt = {"label": f"envsim.stack={stack}"}
    return {c.name: c.id for c in engine.containers.list(all=True, filters=flt, ignore_removed=True)}


def leftovers(engine, stack: str) -> dict[str, int]:
    flt = {"label": [f"envsim.stack={stack}"]}
    return {
        "containers": len(engine.containers.list(all=True, filters=flt, ignore_removed=True)),
        "networks": len(engine.networks.list(filters=flt)),
        "volumes": len(engine.volumes.list(filters=flt)),
    }


NOTHING_LEFT = {"containers": 0, "networks": 0, "volumes": 0}


def browse_scenario(duration: str, error_rate_below: str = "90%", wait: str | None = "[50ms, 100ms]") -> str:
    """A scenario on the conftest's `base` profile: two users browsing the api, one check."""
    return "\n".join(
        [
            "envsim: 1",
            "profile: base",
            "load:",
            "  target: api",
            "  users: 2",
            "  spawn_rate: 2",
            f"  duration: {duration}",
            *([f"  wait: {wait}"] if wait else []),
            "  tasks:",
            '    - {name: browse, request: "GET /products"}',
            "checks:",
            f"  - {{metric: error_rate, below: {error_rate_below}}}",
            "",
        ]
    )


def at_once(cli, *commands: tuple[str, ...], timeout: float) -> list[tuple[int, str]]:
    """The envsim commands run side by side; [(exit code, output's ends)] in their order."""
    started = [cli.start(*command) for command in commands]
    done = []
    try:
        for process in started:
            out, err = process.communicate(timeout=timeout)
            done.append((process.returncode, out[-3000:] + err[-3000:]))
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.communicate()
    return done


def wait_for(predicate, timeout: float = 120, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def interrupt(process: subprocess.Popen, signum: int, timeout: float = 120) -> tuple[int, str, str]:
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        raise AssertionError(f"envsim did not stop after {signal.Signals(signum).name}: {stderr[-2000:]}") from None
    return process.returncode, stdout, stderr


def ok_web_profile(name: str, rest: str = "") -> str:
    """A profile `name` with the service `web` running OK_APP, published; `rest` is appended (YAML)."""
    return f"""envsim: 1
name: {name}
services:
  web:
    image: python:3.11-slim
    command: {json.dumps(["python", "-c", OK_APP])}
    ports: {{http: 8000}}
    publish: [http]
    health: {{http: /, interval: 1s}}
{rest}"""
