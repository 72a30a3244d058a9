"""The validated failure modes of a profile: what a fault does, before it is planned on a stack.

A failure mode is made of effects, each an instance of its fault kind's effect dataclass
(envsim.config.fault_kinds): a Toxic, ProxiesDown, ContainerFault, HttpErrorFault or Partition. Times are
seconds (float), fractions are in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FailureMode:
    name: str
    target: str
    effects: tuple[Any, ...] = ()
    # (client, target): the links the mode acts on alone (`from:`, a partition); () = every
    # client's traffic to the target
    links: tuple[tuple[str, str], ...] = ()
