"""What an interrupted envsim command can leave on a stack, counted from the engine and from the
stack's own APIs: containers, networks, volumes, Toxiproxy toxics, HTTP faults switched on in
HAProxy fronts, network helpers and the iptables chains and qdiscs of link and DNS faults."""

from __future__ import annotations

from collections import Counter


def leftovers(client, stack: str) -> Counter[str]:
    flt = {"label": f"envsim.stack={stack}"}
    found: Counter[str] = Counter(
        containers=len(client.containers.list(all=True, filters=flt, ignore_removed=True)),
        networks=len(client.networks.list(filters=flt)),
        volumes=len(client.volumes.list(filters=flt)),
    )
    found["toxics"] = active_toxics(client, stack)
    found["http fault switches"] = http_switches_on(client, stack)
    return +found


def link_rules(client, stack: str) -> Counter[str]:
    """Network helpers still running, and iptables chains (filter and nat) and qdiscs of link
    and DNS faults left in the network namespace of each of the stack's api containers."""
    from envsim.plan.faults import NET_HELPER_IMAGE

    found: Counter[str] = Counter(
        helpers=len(client.containers.list(filters={"label": [f"envsim.stack={stack}", "envsim.role=net-helper"]}))
    )
    flt = {"label": [f"envsim.stack={stack}", "envsim.service=api"], "status": "running"}
    for container in client.containers.list(filters=flt, ignore_removed=True):
        shown = client.containers.run(
            NET_HELPER_IMAGE,
            ["sh", "-c", "iptables -S; iptables -t nat -S; tc qdisc show"],
            network_mode=f"container:{container.id}",
            cap_add=["NET_ADMIN"],
            remove=True,
        ).decode()
        found["rules"] += sum(
            line.startswith("-N envsim") or " tbf " in line or " netem " in line for line in shown.splitlines()
        )
    return +found


def published_apis(client, stack: str, role: str, ports: tuple[str, ...]) -> list[str]:
    """host:port on 127.0.0.1 of each API port in `ports` published by the stack's containers of `role`."""
    found = []
    flt = {"label": [f"envsim.stack={stack}", f"envsim.role={role}"]}
    for container in client.containers.list(filters=flt, ignore_removed=True):
        for port, bindings in (container.attrs["NetworkSettings"]["Ports"] or {}).items():
            if bindings and port.startswith(tuple(f"{p}/" for p in ports)):
                found.append(f"127.0.0.1:{bindings[0]['HostPort']}")
    return found


def active_toxics(client, stack: str) -> int:
    """Toxics and disabled proxies in the stack's Toxiproxies (the shared ones and the links')."""
    from envsim.engine.toxiproxy_client import ToxiproxyClient, ToxiproxyError

    count = 0
    for address in published_apis(client, stack, "toxiproxy", ("8474", "18474")):
        try:
            proxies = ToxiproxyClient(f"http://{address}").proxies()
        except (ToxiproxyError, OSError):
            continue
        count += sum(len(p.toxics) + (0 if p.enabled else 1) for p in proxies.values())
    return count


def http_switches_on(client, stack: str) -> int:
    """HTTP faults switched on in the stack's HAProxy fronts (their runtime APIs)."""
    from envsim.engine.haproxy_runtime import HaproxyRuntime, RuntimeApiError

    count = 0
    for address in published_apis(client, stack, "balancer", ("9999", "9998")):
        try:
            count += sum(HaproxyRuntime(address).switches().values())
        except RuntimeApiError:
            continue
    return count
