"""Cross-reference checks of the links a failure mode acts on: `from:` clients and a
partition's services must exist, and a link needs a port on its target to stand in front of."""

from __future__ import annotations

from typing import Any

from envsim.config.fault_kinds import LINK_KINDS, kinds_written
from envsim.config.schema_check import did_you_mean
from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem


def check_links(
    doc: YamlDoc, here: TreePath, mode: dict[str, Any], services: dict[str, Any], ports: dict[str, bool]
) -> list[Problem]:
    """`ports`: service name -> whether it has a port (a link's target needs one)."""
    problems = _check_from(doc, here, mode, services) if isinstance(mode.get("from"), list) else []
    partition = mode.get("partition")
    if isinstance(partition, dict):
        problems += _check_partition(doc, here + ("partition",), partition, services, ports)
    return problems


def _unknown(doc: YamlDoc, where: TreePath, name: Any, services: dict[str, Any]) -> Problem:
    return doc.problem(where, f"unknown service '{name}'{did_you_mean(str(name), list(services))}")


def _check_from(doc: YamlDoc, here: TreePath, mode: dict[str, Any], services: dict[str, Any]) -> list[Problem]:
    problems = []
    others = [kind.name for kind in kinds_written(mode) if kind.name not in LINK_KINDS]
    if others:
        problems.append(
            doc.problem(
                here + ("from",),
                f"'from' narrows network faults (latency, bandwidth, timeout, down, ...) to some clients' links; "
                f"a {others[0]} fault acts on the target itself, so it cannot be narrowed",
                key=True,
            )
        )
    for index, client in enumerate(mode["from"]):
        where = here + ("from", index)
        if not isinstance(client, str):
            continue
        if client not in services:
            problems.append(_unknown(doc, where, client, services))
        elif client == mode.get("target"):
            problems.append(doc.problem(where, f"'{client}' is the target itself: a service's link to itself"))
    return problems


def _check_partition(
    doc: YamlDoc, where: TreePath, partition: dict[str, Any], services: dict[str, Any], ports: dict[str, bool]
) -> list[Problem]:
    if "between" in partition:
        named = [(where + ("between", i), name) for i, name in enumerate(partition["between"])]
    else:
        named = [(where + (key,), partition[key]) for key in ("from", "to") if key in partition]
    unknown = [
        _unknown(doc, at, name, services) for at, name in named if isinstance(name, str) and name not in services
    ]
    if unknown or len(named) != 2:
        return unknown
    # the side connected to needs a port; both sides portless leave nothing to cut
    connected_to = [name for _, name in named] if "between" in partition else [partition["to"]]
    if not any(ports.get(name, False) for name in connected_to):
        which = " nor ".join(f"'{name}'" for name in connected_to)
        lacking = f"neither {which} declares ports" if len(connected_to) > 1 else f"{which} declares no ports"
        return [doc.problem(where, f"{lacking}, so no connection to cut; add 'ports' to the service connected to")]
    return []
