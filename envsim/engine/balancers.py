"""Creating the request balancers of a StackPlan (HAProxy, see envsim.plan.balancers)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from envsim.engine.containers import CONFIG_HASH_LABEL, config_hash
from envsim.errors import EnvironmentProblem
from envsim.interrupts import deferred
from envsim.plan.balancers import BalancerPlan
from envsim.plan.stack import StackPlan

if TYPE_CHECKING:
    import docker


def balancer_config_hash(balancer: BalancerPlan, image_id: str) -> str:
    return config_hash(
        {"image": image_id, "alias": balancer.alias, "replicas": balancer.replicas, "ports": balancer.ports}
    )


def create_balancer_container(client: docker.DockerClient, plan: StackPlan, balancer: BalancerPlan, image_id: str):
    """Start the balancer in front of the (healthy) replicas it names."""
    from docker.errors import APIError

    labels = dict(balancer.labels)
    labels[CONFIG_HASH_LABEL] = balancer_config_hash(balancer, image_id)
    # types-docker declares one EndpointConfig; docker-py takes {network name: EndpointConfig}
    networking = client.api.create_networking_config(
        {plan.network: client.api.create_endpoint_config(aliases=[balancer.alias])}  # type: ignore[arg-type]
    )
    try:
        with deferred():  # a signal mid-call would lose the container to the clean-up
            created = client.api.create_container(
                image=image_id,
                command=[" ".join(map(str, balancer.ports)), *balancer.replicas],
                name=balancer.name,
                labels=labels,
                host_config=client.api.create_host_config(),
                networking_config=networking,
            )
        client.api.start(created["Id"])
    except APIError as error:
        raise EnvironmentProblem(
            f"balancer of {balancer.service}: the engine refused the container: {error.explanation or error}"
        ) from None
    return client.containers.get(created["Id"])


READY_LINE = "Loading success"  # what HAProxy's master says once its workers listen
READY_TIMEOUT = 20.0


def wait_for_balancer(container, balancer: BalancerPlan, cancel: threading.Event) -> None:
    """Return once HAProxy listens; EnvironmentProblem (with its log) when it exits or hangs."""
    deadline = time.monotonic() + READY_TIMEOUT
    delay = 0.05
    while time.monotonic() < deadline and not cancel.is_set():
        container.reload()
        logs = container.logs().decode("utf-8", "replace")
        if READY_LINE in logs:
            return
        if container.status not in ("created", "running"):
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    if cancel.is_set():
        raise KeyboardInterrupt
    tail = "\n".join(container.logs().decode("utf-8", "replace").splitlines()[-10:])
    raise EnvironmentProblem(f"the request balancer of {balancer.service} did not start", hint=tail or None)
