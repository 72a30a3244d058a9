"""Making a profile's images available (pulled, or built offline) ahead of `up`."""

from __future__ import annotations

from dataclasses import dataclass

from envsim.api.loading import ProfileLike, load_profile
from envsim.engine.docker_engine import connect
from envsim.images import ImageProgress, ImageRequirement, ensure_images, required_images


@dataclass(frozen=True)
class PreparedImage:
    requirement: ImageRequirement
    image_id: str


def prepare_images(
    profile: ProfileLike, *, pull: bool = True, progress: ImageProgress | None = None
) -> list[PreparedImage]:
    """Every image `profile` needs, present afterwards: local, pulled, or built from a recipe."""
    requirements = required_images(load_profile(profile))
    prepared = ensure_images(requirements, connect(), progress, pull=pull)
    return [PreparedImage(requirement, prepared[requirement.name]) for requirement in requirements]
