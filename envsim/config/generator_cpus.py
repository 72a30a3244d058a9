"""Which cores the load generator may be pinned to (`load.cpus`, `--generator-cpus`).

Pinning puts the Locust processes on the given cores and the stack's containers on the
others, so the generator and the app never compete for a core: the cores must exist on this
machine (those this process may use) and leave at least one for the stack.
"""

from __future__ import annotations

import os


def machine_cpus() -> tuple[int, ...]:
    """The cores this process may run on, in order."""
    try:
        return tuple(sorted(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this platform: every core
        return tuple(range(os.cpu_count() or 1))


def stack_cpus(generator: tuple[int, ...], machine: tuple[int, ...]) -> tuple[int, ...]:
    """The cores left to the stack when the generator has `generator`."""
    return tuple(core for core in machine if core not in generator)


def cpu_problem(core: int, chosen: tuple[int, ...], machine: tuple[int, ...]) -> str | None:
    """What is wrong with pinning the generator to `core` among `chosen`, or None."""
    if core not in machine:
        listed = ", ".join(map(str, machine))
        return f"core {core} is not one this machine offers (cores: {listed})"
    if not stack_cpus(chosen, machine):
        return f"pins the load generator to every core ({len(machine)}); leave at least one for the stack"
    return None


def parse_cpus(text: str) -> tuple[int, ...]:
    """Cores written as on a command line: "0", "0,1" or "0-2"; ValueError when not."""
    cores: list[int] = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{text!r} is not a list of cores (e.g. 0, 0,1 or 0-1)")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"{part.strip()!r} runs backwards")
        cores += [c for c in range(first, last + 1) if c not in cores]
    return tuple(cores)
