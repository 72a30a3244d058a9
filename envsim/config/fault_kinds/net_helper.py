"""What the kinds switched by a network helper share (link and dns): a helper container per
container of the target, joining its network namespace with NET_ADMIN, runs a shell script
that puts the fault's rules in place, says so, holds until it is stopped or its time-to-live
($ENVSIM_TTL seconds) is over, and reverts. Clearing stops it; it is active while it runs.

A step of such a kind has `container` (whose namespace) and `helper` (the helper's name).
"""

from __future__ import annotations

from typing import Any

from envsim.config.fault_kinds.kind import NET_HELPER_READY, FaultReadings, FaultTools


def chain_name(fault: str) -> str:
    """An iptables chain of the fault's own (at most 28 characters, as iptables allows)."""
    import hashlib  # imported here: names this long are rare, and `validate` never needs it

    name = f"envsim-{fault}"
    return name if len(name) <= 28 else f"envsim-{hashlib.sha256(fault.encode()).hexdigest()[:21]}"


def ready_and_hold(mechanism: str) -> list[str]:
    """The script's last lines: the ready line naming the mechanism (shell words), then hold
    until SIGTERM/SIGINT or the time-to-live, and revert (the script defines `revert`)."""
    return [
        f'echo "{NET_HELPER_READY} {mechanism}"',
        "trap 'revert; exit 0' TERM INT",
        'sleep "$ENVSIM_TTL" & wait $!',
        "revert",
    ]


def start(fault: str, step: Any, script: str, tools: FaultTools) -> str:
    return tools.start_net_helper(fault, step.container, step.helper, script)


def clear(fault: str, step: Any, tools: FaultTools) -> None:
    tools.stop_net_helper(fault, step.helper)


def active(step: Any, readings: FaultReadings) -> bool:
    return readings.container_status(step.helper) == "running"
