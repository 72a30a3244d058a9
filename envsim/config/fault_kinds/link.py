"""`packet_loss: 10%` and `link_bandwidth: 1mbit`: faults on a service's own network link,
switched in a helper container that joins each of its containers' network namespace with
NET_ADMIN (the app's containers never get a capability).

Loss uses the kernel's netem qdisc where it exists, else iptables' statistic match (a chain of
the fault's own on INPUT, loopback left alone); the bandwidth limit is a tbf qdisc on egress
(netem's rate when netem carries the loss). The helper prints which mechanism ran, and the
journal records it. The helper reverts its rules when stopped and when its time-to-live runs
out, so a killed envsim leaves them no longer than that; clearing stops and removes it.

`link_bandwidth` is not `bandwidth`: that one is Toxiproxy's toxic on the proxy in front of a
service (bytes per second, one direction of proxied connections); this one limits everything
the service's containers send, in bits per second as links are rated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.fault_kinds import net_helper
from envsim.config.fault_kinds.kind import FaultContext, FaultKind, FaultTools, StackView
from envsim.config.fault_kinds.net_helper import chain_name
from envsim.errors import Problem
from envsim.units import parse_percent, percent_out_of_range

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?bit)\s*$", re.IGNORECASE)
_RATE_FACTORS = {"bit": 1, "kbit": 1000, "mbit": 1000**2, "gbit": 1000**3}
MIN_RATE = 8000  # bits per second: below a packet a second, tbf cannot keep a TCP connection alive


def parse_rate(value: object) -> int | None:
    """Bits per second of a written rate such as 1mbit or 500kbit; None when it is not one."""
    match = _RATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    return round(float(match.group(1)) * _RATE_FACTORS[match.group(2).lower()])


@dataclass(frozen=True)
class LinkFault:
    loss: float | None  # share of packets dropped, 0..1
    rate: int | None  # bits per second


@dataclass(frozen=True)
class LinkStep:
    container: str  # whose network namespace the helper joins
    helper: str  # the helper container's name
    chain: str  # the iptables chain holding the loss rule
    loss: float | None
    rate: int | None


def build(spec: Mapping[str, Any]) -> tuple[LinkFault, ...]:
    if "packet_loss" not in spec and "link_bandwidth" not in spec:
        return ()
    loss = parse_percent(spec["packet_loss"]) if "packet_loss" in spec else None
    return (LinkFault(loss, parse_rate(spec.get("link_bandwidth"))),)


def refs(context: FaultContext) -> list[Problem]:
    problems = []
    if percent_out_of_range(context.mode.get("packet_loss")):
        problems.append(context.problem("packet_loss", "must be between 0% and 100%"))
    rate = parse_rate(context.mode.get("link_bandwidth"))
    if rate is not None and rate < MIN_RATE:
        problems.append(context.problem("link_bandwidth", "must be at least 8kbit: slower links drop TCP altogether"))
    return problems


def summary(effects: tuple[LinkFault, ...]) -> str:
    effect = effects[0]
    parts = ([f"packet loss {effect.loss:.0%}"] if effect.loss is not None else []) + (
        [f"link bandwidth {format_rate(effect.rate)}"] if effect.rate is not None else []
    )
    return ", ".join(parts)


def format_rate(bits: int) -> str:
    for unit, factor in (("gbit", 1000**3), ("mbit", 1000**2), ("kbit", 1000)):
        if bits >= factor and bits % factor == 0:
            return f"{bits // factor}{unit}"
    return f"{bits}bit"


def plan(fault: str, target: str, effects: tuple[LinkFault, ...], stack: StackView) -> tuple[LinkStep, ...]:
    return tuple(
        LinkStep(container, f"{container}-net-{fault}", chain_name(fault), effect.loss, effect.rate)
        for effect in effects
        for container in stack.containers(target)
    )


def describe(step: LinkStep) -> str:
    parts = ([f"drop {step.loss:.0%} of packets"] if step.loss is not None else []) + (
        [f"limit egress to {format_rate(step.rate)}"] if step.rate is not None else []
    )
    return f"{' and '.join(parts)} in {step.container}'s network namespace"


def helper_script(step: LinkStep) -> str:
    """The helper's shell program: apply, say which mechanism ran, hold until stopped or its
    time-to-live ($ENVSIM_TTL seconds) is over, revert. Every interface but loopback."""
    chain = step.chain
    revert = (
        "revert() { for dev in $devs; do tc qdisc del dev $dev root 2>/dev/null; done; "
        f"while iptables -w -D INPUT ! -i lo -j {chain} 2>/dev/null; do :; done; "
        f"iptables -w -F {chain} 2>/dev/null; iptables -w -X {chain} 2>/dev/null; }}"
    )
    lines = ["set -u", "devs=$(ls /sys/class/net | grep -v '^lo$')", revert, "mechanism="]
    rate = f" rate {step.rate}bit" if step.rate is not None else ""
    if step.loss is not None:
        percent = f"{step.loss * 100:.4g}%"
        lines += [
            f"netem() {{ for dev in $devs; do tc qdisc add dev $dev root netem loss {percent}{rate} || return 1; done; }}",
            'if netem 2>/dev/null; then mechanism="netem"',
            "else",
            "  revert",
            _tbf(step.rate),
            f"  iptables -w -N {chain} && iptables -w -A {chain} -m statistic --mode random "
            f"--probability {step.loss:.6f} -j DROP && iptables -w -I INPUT ! -i lo -j {chain} || {{ revert; exit 1; }}",
            f'  mechanism="iptables statistic{" + tbf" if step.rate is not None else ""}"',
            "fi",
        ]
    else:
        lines += [_tbf(step.rate), 'mechanism="tbf"']
    lines += net_helper.ready_and_hold("$mechanism")
    return "\n".join(lines) + "\n"


def _tbf(rate: int | None) -> str:
    if rate is None:
        return "  :"
    burst = max(3200, rate // 8 // 100)  # bytes: two full frames, or 10 ms at the rate
    return (
        f"  for dev in $devs; do tc qdisc add dev $dev root tbf rate {rate}bit burst {burst} latency 200ms "
        "|| { revert; exit 1; }; done"
    )


def apply(fault: str, step: LinkStep, tools: FaultTools) -> str:
    return net_helper.start(fault, step, helper_script(step), tools)


KIND = FaultKind(
    name="link",
    keys=("packet_loss", "link_bandwidth"),
    triggers=("packet_loss", "link_bandwidth"),
    effect=LinkFault,
    step=LinkStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=net_helper.clear,
    active=net_helper.active,
)
