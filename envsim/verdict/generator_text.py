"""The one line a report states about the load generator: where it ran, how hard it worked."""

from __future__ import annotations

from typing import Any

from envsim.journal import Journal


def describe_generator(journal: Journal) -> str:
    """e.g. "pinned to core 0, the stack to core 1; busiest Locust process 97% CPU (locust,
    pid 4121); machine 88% busy on average", and with `load.rate` the rate asked and sent. "" for a journal from before samples were kept."""
    setup = journal.environment.get("load_generator")
    if not isinstance(setup, dict) or not journal.generator:
        return ""
    parts = [_placement(setup)]
    readings = [(cpu + waited, cpu, role, pid) for s in journal.generator for role, pid, cpu, waited in s.processes]
    if readings:
        demand, cpu, role, pid = max(readings)
        waited = f" and {demand - cpu:.0f}% waiting for a core" if demand - cpu >= 5 else ""
        parts.append(f"busiest Locust process at {cpu:.0f}% CPU{waited} ({process_name(role, pid)})")
    host = sum(s.host_cpu for s in journal.generator) / len(journal.generator)
    if setup.get("in_cluster"):
        parts.append(f"the runner's node {host:.0f}% busy on average")
    else:
        parts.append(f"machine {host:.0f}% busy on average ({setup.get('host_cpus', '?')} cores)")
    rate = _rate(journal)
    return "; ".join([*parts, *([rate] if rate else [])])


def _rate(journal: Journal) -> str:
    """The rate asked against the rate sent, over the seconds a rate was asked and sent is known."""
    asked = [
        (s.asked_rate, s.achieved_rate) for s in journal.generator if s.asked_rate > 0 and s.achieved_rate is not None
    ]
    if not asked:
        return ""
    wanted = max(rate for rate, _ in asked)
    sent = [achieved for _, achieved in asked if achieved is not None]
    # no slowest second: users slower than a request a second send every few seconds
    return f"rate asked up to {wanted:.0f} requests/s, sent {sum(sent) / len(sent):.0f}/s on average"


def process_name(role: str, pid: int) -> str:
    """ "locust, pid 4121"; a pod (pid 0: not a process of this machine) by its role alone."""
    return f"{role}, pid {pid}" if pid else f"{role}, a pod in the stack's cluster"


def _placement(setup: dict[str, Any]) -> str:
    if setup.get("in_cluster"):
        return "in the stack's cluster: pods the cluster placed, CPU as each Locust process read its own"
    cpus, stack = setup.get("cpus"), setup.get("stack_cpus")
    if not cpus:
        return "not pinned: it shared the machine's cores with the stack"
    return f"pinned to {_cores(cpus)}, the stack to {_cores(stack or [])}"


def _cores(cores: list[Any]) -> str:
    return ("core " if len(cores) == 1 else "cores ") + ", ".join(str(c) for c in cores)
