"""What a stack on Kubernetes looks like right now: its pods, and Toxiproxy's API through the
stack's port-forward. The same StackStatus a Docker stack gives, a pod standing for a container."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envsim.engine.kubernetes.cluster import REQUEST_TIMEOUT, Cluster, is_missing, namespace_of
from envsim.engine.kubernetes.port_forwards import TOXIPROXY_KEY
from envsim.engine.status import ContainerStatus, ProxyStatus, StackStatus
from envsim.plan.stack import ROLE_LABEL, SERVICE_LABEL

_OWN_ROLES = ("toxiproxy", "seed")  # shown through Toxiproxy's API, or done once


def pod_state(pod: Any) -> str:
    """`running` for a ready pod, else the reason it is not (`waiting: CrashLoopBackOff`, `Pending`)."""
    for status in pod.status.container_statuses or []:
        if status.state and status.state.waiting:
            return f"waiting: {status.state.waiting.reason}"
        if status.state and status.state.terminated:
            return f"exited: {status.state.terminated.reason}"
    ready = any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
    if pod.status.phase == "Running":
        return "running" if ready else "starting"
    return str(pod.status.phase)


def _pods(cluster: Cluster, namespace: str) -> list[Any] | None:
    try:
        cluster.core.read_namespace(namespace, _request_timeout=REQUEST_TIMEOUT)
    except Exception as error:
        if is_missing(error):
            return None
        raise
    return cluster.core.list_namespaced_pod(namespace, _request_timeout=REQUEST_TIMEOUT).items


def stack_status(cluster: Cluster, stack: str, urls: Mapping[str, str] | None) -> StackStatus:
    """`urls` are the running forwarder's (None when it does not run)."""
    from envsim.engine.toxiproxy_client import ToxiproxyClient, ToxiproxyError

    namespace = namespace_of(stack)
    pods = _pods(cluster, namespace)
    if pods is None:
        return StackStatus(stack=stack, containers=(), proxies=(), toxiproxy_urls=())
    containers, problems = [], []
    replicas: dict[str, int] = {}
    for pod in sorted(pods, key=lambda p: p.metadata.name):
        labels = pod.metadata.labels or {}
        state = pod_state(pod)
        if labels.get(ROLE_LABEL) in _OWN_ROLES:
            if labels.get(ROLE_LABEL) == "toxiproxy" and state != "running":
                problems.append(f"{pod.metadata.name} (toxiproxy) is {state}")
            continue
        service = labels.get(SERVICE_LABEL, "?")
        replicas[service] = replicas.get(service, -1) + 1
        if state.startswith(("waiting", "exited")) or state == "Failed":
            problems.append(f"{pod.metadata.name} (service {service}) is {state}")
        health = "healthy" if state == "running" else "starting" if state in ("starting", "Pending") else "unhealthy"
        containers.append(ContainerStatus(pod.metadata.name, service, replicas[service], state, health, {}))
    toxiproxy_urls = sorted(url for key, url in (urls or {}).items() if key.startswith(TOXIPROXY_KEY))
    if urls is None:
        problems.append(f"the port-forward of stack {stack} is not running: its endpoints do not answer")
    proxies = []
    for url in toxiproxy_urls:
        try:
            for proxy in ToxiproxyClient(url).proxies().values():
                entry = (urls or {}).get(proxy.name)
                toxics = tuple(sorted(t.name for t in proxy.toxics))
                proxies.append(ProxyStatus(proxy.name, proxy.listen, proxy.upstream, proxy.enabled, entry, toxics))
        except (ToxiproxyError, OSError) as error:
            problems.append(f"toxiproxy at {url} did not answer: {error}")
    return StackStatus(
        stack=stack,
        containers=tuple(containers),
        proxies=tuple(sorted(proxies, key=lambda p: p.name)),
        toxiproxy_urls=tuple(toxiproxy_urls),
        problems=tuple(problems),
    )
