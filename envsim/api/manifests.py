"""A stack plan as Kubernetes manifests, with the seed files read and the pinned images named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envsim.errors import InputError
from envsim.images.requirements import BALANCER_IMAGE, MOCKSERVER_IMAGE, TOXIPROXY_IMAGE
from envsim.plan.kubernetes_manifests import ClusterImages, render_manifests
from envsim.plan.kubernetes_seed_jobs import seed_file_paths
from envsim.plan.stack import StackPlan

CLUSTER_IMAGES = ClusterImages(toxiproxy=TOXIPROXY_IMAGE, mockserver=MOCKSERVER_IMAGE, balancer=BALANCER_IMAGE)


def _read_seed_files(paths: tuple[Path, ...]) -> dict[Path, str]:
    texts: dict[Path, str] = {}
    for path in paths:
        try:
            texts[path] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise InputError(f"{path}: cannot read the seed file: {reason}") from None
    return texts


def kubernetes_manifests(stack: StackPlan, images: ClusterImages = CLUSTER_IMAGES) -> list[dict[str, Any]]:
    """The stack's manifests (plain dicts): Namespace, credentials Secret without values,
    ConfigMaps, Deployments, Services, seed Jobs. A stack with links (per-link faults,
    partitions) has none: `validate --backend kubernetes` says where they are written."""
    if stack.links:
        clients = ", ".join(sorted({f"{p.client} -> {p.service}" for p in stack.links}))
        raise InputError(
            f"stack {stack.stack} has links ({clients}): per-link faults and partitions are not supported on "
            "Kubernetes (`envsim validate --backend kubernetes` locates them)"
        )
    return render_manifests(stack, images, _read_seed_files(seed_file_paths(stack)))
