"""One message for every image that cannot be made available, with what works offline.

Pure: a user fixing a profile image by image, one failed `up` at a time, wastes minutes per
round; the whole list (and the versions envsim can build with no registry) saves the rounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from envsim.errors import EnvironmentProblem
from envsim.images.requirements import BALANCER_IMAGE, MOCKSERVER_IMAGE, TOXIPROXY_IMAGE
from envsim.plan.stand_ins import FAMILIES, offline_tags


@dataclass(frozen=True)
class MissingImage:
    name: str
    services: tuple[str, ...]  # who needs it
    reason: str  # why it cannot be had: not present, not pullable, no recipe
    hint: str | None = None


def offline_summary() -> str:
    """What envsim can make with no registry at all."""
    families = "; ".join(", ".join(offline_tags(repository)) for repository in FAMILIES)
    return (
        f"{families} (Debian-built stand-ins, any variant suffix such as -slim or -alpine); "
        f"{TOXIPROXY_IMAGE}, {MOCKSERVER_IMAGE}, {BALANCER_IMAGE} (envsim's own); "
        "and every `build:` service whose base images are among these"
    )


def missing_images_problem(missing: list[MissingImage]) -> EnvironmentProblem:
    """One EnvironmentProblem naming every missing image (one image: its own words and hint)."""
    if len(missing) == 1 and missing[0].hint:
        only = missing[0]
        return EnvironmentProblem(f"{_line(only)}\navailable offline: {offline_summary()}", hint=only.hint)
    lines = "\n".join(f"  - {_line(item)}" for item in missing)
    hints = [item.hint for item in missing if item.hint]
    hint = "; ".join(dict.fromkeys(hints)) if hints else None
    return EnvironmentProblem(
        f"{len(missing)} images cannot be made available, so nothing was built or started:\n{lines}\n"
        f"available offline: {offline_summary()}",
        hint=hint
        or "`docker load` these images on this machine, use an offline version in the profile, "
        "or give a `build:` service `base:` an image that is available",
    )


def _line(item: MissingImage) -> str:
    used_by = f" (used by {', '.join(item.services)})" if item.services else ""
    return f"{item.name}{used_by}: {item.reason}"
