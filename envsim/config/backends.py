"""What each backend can realise of a valid profile, checked at validate time with located
problems. Docker realises everything; `plan --format kubernetes` renders a profile as
manifests, where per-link faults and partitions have no counterpart (docs/kubernetes.md)."""

from __future__ import annotations

from typing import Any

from envsim.config.yamlload import YamlDoc
from envsim.errors import Problem

BACKENDS = ("docker", "kubernetes")

# Failure-mode keys a backend cannot realise, and why. On Kubernetes a link would need the
# client's pods to resolve the target's name to a link proxy of their own: a Service per link
# has another name, and a pod's hostAliases need an address known before the pod is made.
REFUSED: dict[str, dict[str, str]] = {
    "kubernetes": {
        "from": "per-link faults are not supported on Kubernetes (a Service answers every client alike); "
        "drop 'from' to fault every client's traffic, or run this failure mode on Docker",
        "partition": "partitions are not supported on Kubernetes (they act on per-client links); "
        "run this failure mode on Docker",
    },
}


def backend_problems(doc: YamlDoc, backend: str) -> list[Problem]:
    """A located problem for each failure-mode key the backend cannot realise."""
    refused = REFUSED.get(backend, {})
    modes: Any = doc.data.get("failure_modes") if isinstance(doc.data, dict) else None
    if not refused or not isinstance(modes, dict):
        return []
    return [
        doc.problem(("failure_modes", name, key), why, key=True)
        for name, mode in modes.items()
        if isinstance(mode, dict)
        for key, why in refused.items()
        if key in mode
    ]
