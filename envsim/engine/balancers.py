"""Creating the HAProxy fronts of a StackPlan: request balancers, and fronts holding HTTP
faults (see envsim.plan.balancers). A front with faults runs the configuration the plan
renders (envsim.plan.haproxy_config) instead of the image's own, and publishes its runtime
API on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from envsim.engine.containers import CONFIG_HASH_LABEL, config_hash
from envsim.errors import EnvironmentProblem
from envsim.interrupts import deferred
from envsim.plan.balancers import BalancerPlan
from envsim.plan.haproxy_config import CONFIG_PATH, FAULT_MAP, fault_map, render_haproxy_config
from envsim.plan.stack import StackPlan

if TYPE_CHECKING:
    import docker


# The front's configuration and fault map come in as environment values: the image stays the
# balancer's, and nothing is written on the host.
_RUN_RENDERED = (
    f'printf "%s\\n" "$ENVSIM_HAPROXY_CONFIG" > {CONFIG_PATH}'
    f' && printf "%s" "$ENVSIM_FAULT_MAP" > {FAULT_MAP}'
    f" && exec haproxy -W -db -f {CONFIG_PATH}"
)


def balancer_config_hash(balancer: BalancerPlan, image_id: str) -> str:
    fields: dict[str, object] = {
        "image": image_id,
        "alias": balancer.alias,
        "replicas": balancer.replicas,
        "ports": balancer.ports,
    }
    if balancer.faults:
        fields["config"] = render_haproxy_config(balancer)
    return config_hash(fields)


def _start_arguments(client: docker.DockerClient, balancer: BalancerPlan) -> dict[str, object]:
    """How the container runs: the image's entrypoint with ports and replicas, or, with
    faults, the rendered configuration and the runtime API published on 127.0.0.1."""
    if not balancer.faults or balancer.api_port is None:
        return {
            "command": [" ".join(map(str, balancer.ports)), *balancer.replicas],
            "host_config": client.api.create_host_config(),
        }
    return {
        "entrypoint": ["/bin/sh", "-c", _RUN_RENDERED],
        "environment": {
            "ENVSIM_HAPROXY_CONFIG": render_haproxy_config(balancer),
            "ENVSIM_FAULT_MAP": fault_map(balancer),
        },
        "ports": [balancer.api_port],
        "host_config": client.api.create_host_config(port_bindings={balancer.api_port: ("127.0.0.1", None)}),
    }


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
                name=balancer.name,
                labels=labels,
                networking_config=networking,
                **_start_arguments(client, balancer),  # type: ignore[arg-type]
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
