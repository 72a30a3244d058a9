"""Helper containers in a service container's network namespace (Pumba's pattern): NET_ADMIN
is given to the helper only, never to the app's container.

A helper carries its target's stack labels and the role `net-helper`, so teardown and the
reaper remove it with the stack, and the stack watch does not mistake its removal for a part
of the stack going away.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from envsim.engine.containers import remove_own_container
from envsim.errors import EnvironmentProblem
from envsim.plan.faults import NET_HELPER_IMAGE, NET_HELPER_ROLE
from envsim.plan.stack import LABEL_PREFIX, ROLE_LABEL, SERVICE_LABEL, STACK_LABEL

if TYPE_CHECKING:
    import docker

READY_TIMEOUT = 20.0  # seconds for a helper to put its rules in place
STOP_TIMEOUT = 5  # seconds a helper gets to revert on SIGTERM before it is killed


def start_net_helper(
    client: docker.DockerClient, fault: str, container: str, helper: str, script: str, ttl: float, ready_mark: str
) -> str:
    """Runs `script` in `container`'s network namespace; returns what followed `ready_mark` in
    its output. A helper of the same name left by an earlier apply is replaced."""
    from docker.errors import APIError, ImageNotFound, NotFound

    stop_net_helper(client, fault, helper)
    try:
        target = client.containers.get(container)
        if target.status != "running":
            raise EnvironmentProblem(f"fault {fault}: {container} is {target.status}, so its network cannot be shaped")
        labels = _labels(target.labels or {}, fault)
        started = client.containers.run(
            NET_HELPER_IMAGE,
            ["sh", "-c", script],
            name=helper,
            network_mode=f"container:{target.id}",
            cap_add=["NET_ADMIN"],
            environment={"ENVSIM_TTL": str(max(1, round(ttl)))},
            labels=labels,
            detach=True,
        )
    except ImageNotFound:
        raise EnvironmentProblem(
            f"fault {fault}: the network helper image {NET_HELPER_IMAGE} is missing",
            hint="run `envsim images prepare PROFILE` (or `envsim up`), which builds it from Debian packages",
        ) from None
    except (APIError, NotFound) as error:
        raise EnvironmentProblem(f"fault {fault}: could not start a network helper for {container}: {error}") from None
    return _await_ready(client, fault, started, ready_mark)


def _labels(target: dict[str, str], fault: str) -> dict[str, str]:
    kept = {key: value for key, value in target.items() if key == STACK_LABEL or key == f"{LABEL_PREFIX}.profile"}
    service = target.get(SERVICE_LABEL, "?")
    return {**kept, ROLE_LABEL: NET_HELPER_ROLE, SERVICE_LABEL: f"{service} (network fault {fault})"}


def _await_ready(client: docker.DockerClient, fault: str, helper, ready_mark: str) -> str:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        output = helper.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        for line in output.splitlines():
            if line.startswith(ready_mark):
                return line[len(ready_mark) :].strip()
        helper.reload()
        if helper.status in ("exited", "dead") or time.monotonic() > deadline:
            stop_net_helper(client, fault, helper.name)
            said = " / ".join(output.strip().splitlines()[-3:]) or "nothing"
            raise EnvironmentProblem(f"fault {fault}: the network helper {helper.name} failed (it said: {said})")
        time.sleep(0.05)


def stop_net_helper(client: docker.DockerClient, fault: str, helper: str) -> None:
    """Stops (its script reverts on SIGTERM) and removes the helper; none there is no error."""
    remove_own_container(
        client, helper, NET_HELPER_ROLE, "network helper", stop_timeout=STOP_TIMEOUT, context=f"fault {fault}: "
    )
