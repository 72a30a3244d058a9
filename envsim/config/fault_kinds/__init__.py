"""The fault kinds: one module each, every part of a kind in its module, and this table of them.

A new kind is a module beside these (its effect and step dataclasses and a
`KIND = FaultKind(...)` naming every part, see `kind.py`), a line in `KINDS`, and its keys in
the `failure_mode` definition of `schemas/profile.schema.json` (its triggers in the `anyOf`).
tests/unit/config/test_fault_kinds.py fails when a kind lacks a part or the schema and this
table disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envsim.config.fault_kinds import container, dns, down, http, link, partition, toxic
from envsim.config.fault_kinds.kind import FaultKind

KINDS: tuple[FaultKind, ...] = (
    toxic.KIND,
    down.KIND,
    container.KIND,
    http.KIND,
    partition.KIND,
    link.KIND,
    dns.KIND,
)


# The kinds whose effect lives on a Toxiproxy proxy, so `from:` can narrow it to some clients' links.
LINK_KINDS = ("toxic", "down")


def links_written(written: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (client, target) links a written failure mode (schema-valid) acts on alone; () when
    it acts on every client's traffic."""
    if isinstance(written.get("partition"), Mapping):
        return partition.partition_links(written["partition"])
    return tuple((client, written["target"]) for client in written.get("from", ()))


def target_written(written: Mapping[str, Any]) -> str:
    """The service a failure mode is listed under: its target, or a partition's side."""
    return str(written["target"]) if "target" in written else partition.partition_target(written["partition"])


def kinds_claiming(written: Mapping[str, Any]) -> tuple[FaultKind, ...]:
    """The kinds a written failure mode is made of: one when it is valid."""
    return tuple(kind for kind in KINDS if any(key in written for key in kind.triggers))


def kinds_written(written: Mapping[str, Any]) -> tuple[FaultKind, ...]:
    """The kinds whose keys a written failure mode uses (their cross-references apply)."""
    return tuple(kind for kind in KINDS if any(key in written for key in kind.keys))


def kind_of_effect(effect: object) -> FaultKind:
    return _kind_by(effect, "effect")


def kind_of_step(step: object) -> FaultKind:
    return _kind_by(step, "step")


def _kind_by(instance: object, part: str) -> FaultKind:
    for kind in KINDS:
        if type(instance) is getattr(kind, part):
            return kind
    raise TypeError(f"not a fault {part}: {instance!r}")


def by_kind(items: tuple[Any, ...], kind_of: Any) -> list[tuple[FaultKind, tuple[Any, ...]]]:
    """Items grouped by kind, kinds in order of first appearance, items in their order."""
    groups: dict[str, tuple[FaultKind, list[Any]]] = {}
    for item in items:
        kind = kind_of(item)
        groups.setdefault(kind.name, (kind, []))[1].append(item)
    return [(kind, tuple(members)) for kind, members in groups.values()]


__all__ = [
    "KINDS",
    "LINK_KINDS",
    "FaultKind",
    "links_written",
    "target_written",
    "by_kind",
    "kind_of_effect",
    "kind_of_step",
    "kinds_claiming",
    "kinds_written",
]
