"""`dns: {name: payments.example.com, answer: nxdomain | servfail | no_answer}`: the target's
lookups of one name get that answer from a real resolver, every other name resolves as before.

For each container of the target a helper joins its network namespace (NET_ADMIN on the helper
only) and runs Debian's dnsmasq on 127.0.0.1:5353 with the faulted name configured, everything
else forwarded to Docker's embedded DNS (127.0.0.11, which exists in that namespace) with the
cache off, so the stack's names and outside names pass through unchanged. An iptables nat rule
of the fault's own sends the container's UDP queries for 127.0.0.11:53 to dnsmasq instead;
dnsmasq's own queries leave from a fixed source port the rule lets by. Only the target's
lookups change: other services keep Docker's resolver. Cleared, the helper removes its rule
and stops dnsmasq; it does so at its time-to-live too, like the link faults' helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from envsim.config.fault_kinds.kind import (
    NET_HELPER_READY,
    FaultContext,
    FaultKind,
    FaultReadings,
    FaultTools,
    StackView,
)
from envsim.config.fault_kinds.link import chain_name
from envsim.errors import Problem

Answer = Literal["nxdomain", "servfail", "no_answer"]

RESOLVER_PORT = 5353  # dnsmasq's port on the container's loopback
QUERY_PORT = 5454  # dnsmasq's source port for forwarded queries: the redirect lets it by

# dnsmasq options giving each answer for NAME: NXDOMAIN; SERVFAIL (forwarded to a port where
# nothing listens: refused, so dnsmasq fails the query); NOERROR without an address (the name
# exists with a TXT record only)
ANSWER_OPTIONS = {
    "nxdomain": ("--address=/{name}/",),
    "servfail": ("--server=/{name}/127.0.0.1#9",),
    "no_answer": ("--local=/{name}/", "--txt-record={name},envsim"),
}
WHAT_THE_APP_SEES = {
    "nxdomain": "NXDOMAIN (getaddrinfo: name not known)",
    "servfail": "SERVFAIL (getaddrinfo: temporary failure)",
    "no_answer": "no address (getaddrinfo: no address for the name)",
}


@dataclass(frozen=True)
class DnsFault:
    name: str
    answer: Answer


@dataclass(frozen=True)
class DnsStep:
    container: str  # whose lookups change
    helper: str  # the helper container's name
    chain: str  # the nat chain holding the redirect
    name: str
    answer: Answer


def build(spec: Mapping[str, Any]) -> tuple[DnsFault, ...]:
    dns = spec.get("dns")
    if not dns:
        return ()
    return (DnsFault(str(dns["name"]).rstrip(".").lower(), dns["answer"]),)


def refs(context: FaultContext) -> list[Problem]:
    return []  # the schema says it all: a host name and one of the answers


def summary(effects: tuple[DnsFault, ...]) -> str:
    return f"DNS {effects[0].answer} for {effects[0].name}"


def plan(fault: str, target: str, effects: tuple[DnsFault, ...], stack: StackView) -> tuple[DnsStep, ...]:
    return tuple(
        DnsStep(container, f"{container}-dns-{fault}", chain_name(f"dns-{fault}"), effect.name, effect.answer)
        for effect in effects
        for container in stack.containers(target)
    )


def describe(step: DnsStep) -> str:
    return f"{step.container} resolves {step.name}: {WHAT_THE_APP_SEES[step.answer]}"


def helper_script(step: DnsStep) -> str:
    """The helper's shell program: dnsmasq up, the redirect in place, ready; on SIGTERM or at
    its time-to-live ($ENVSIM_TTL seconds) the redirect removed and dnsmasq stopped."""
    chain = step.chain
    options = " ".join(option.format(name=step.name) for option in ANSWER_OPTIONS[step.answer])
    return (
        "\n".join(
            [
                "set -u",
                f"unredirect() {{ while iptables -w -t nat -D OUTPUT -j {chain} 2>/dev/null; do :; done; "
                f"iptables -w -t nat -F {chain} 2>/dev/null; iptables -w -t nat -X {chain} 2>/dev/null; }}",
                'revert() { unredirect; kill "$resolver" 2>/dev/null; }',
                f"dnsmasq -k --port={RESOLVER_PORT} --listen-address=127.0.0.1 --bind-interfaces --no-resolv "
                f"--no-hosts --cache-size=0 --server=127.0.0.11 --query-port={QUERY_PORT} {options} &",
                "resolver=$!",
                "sleep 0.2",
                'kill -0 "$resolver" || exit 1',
                "unredirect",
                f"iptables -w -t nat -N {chain} && iptables -w -t nat -A {chain} -p udp -d 127.0.0.11 --dport 53 "
                f"! --sport {QUERY_PORT} -j DNAT --to-destination 127.0.0.1:{RESOLVER_PORT} "
                f"&& iptables -w -t nat -I OUTPUT 1 -j {chain} || {{ revert; exit 1; }}",
                f'echo "{NET_HELPER_READY} dnsmasq {step.answer}"',
                "trap 'revert; exit 0' TERM INT",
                'sleep "$ENVSIM_TTL" & wait $!',
                "revert",
            ]
        )
        + "\n"
    )


def apply(fault: str, step: DnsStep, tools: FaultTools) -> str:
    return tools.start_net_helper(fault, step.container, step.helper, helper_script(step))


def clear(fault: str, step: DnsStep, tools: FaultTools) -> None:
    tools.stop_net_helper(fault, step.helper)


def active(step: DnsStep, readings: FaultReadings) -> bool:
    return readings.container_status(step.helper) == "running"


KIND = FaultKind(
    name="dns",
    keys=("dns",),
    triggers=("dns",),
    effect=DnsFault,
    step=DnsStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=clear,
    active=active,
)
