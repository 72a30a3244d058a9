"""Making every image a profile needs available, also where no registry answers.

Public API (importing this package does not import docker):
    required_images(profile) -> list[ImageRequirement]
    ensure_images(requirements, docker_client, progress=None, *, pull=True) -> {name: image id}
    ensure_stack_images(docker_client, profile, plan, *, pull=True, progress=None, toxiproxy_image=None)
        -> {image name of each planned container: image id, "toxiproxy": image id}
    toxiproxy_image(docker_client) -> the Toxiproxy image reference to run
    TOXIPROXY_IMAGE (the pinned official image; the key ensure_images reports it under)
"""

from __future__ import annotations

from envsim.images.progress import ImageProgress, PlainProgress, SilentProgress
from envsim.images.recipes import (
    DEBIAN_BASE_IMAGE,
    LABEL_MANAGED,
    LABEL_SUBSTITUTE,
)
from envsim.images.requirements import (
    TOXIPROXY_IMAGE,
    TOXIPROXY_LOCAL_IMAGE,
    TOXIPROXY_VERSION,
    ImageRequirement,
    build_image_name,
    required_images,
)


def ensure_images(requirements, docker_client, progress=None, *, pull=True, pull_timeout=30.0):
    from envsim.images.ensure import ensure_images as _ensure_images

    return _ensure_images(requirements, docker_client, progress, pull=pull, pull_timeout=pull_timeout)


def ensure_stack_images(docker_client, profile, plan, *, pull=True, progress=None, toxiproxy_image=None):
    from envsim.images.stack_images import ensure_stack_images as _ensure_stack_images

    return _ensure_stack_images(
        docker_client, profile, plan, pull=pull, progress=progress, toxiproxy_image=toxiproxy_image
    )


def toxiproxy_image(docker_client) -> str:
    from envsim.images.ensure import toxiproxy_image as _toxiproxy_image

    return _toxiproxy_image(docker_client)


__all__ = [
    "DEBIAN_BASE_IMAGE",
    "LABEL_MANAGED",
    "LABEL_SUBSTITUTE",
    "TOXIPROXY_IMAGE",
    "TOXIPROXY_LOCAL_IMAGE",
    "TOXIPROXY_VERSION",
    "ImageProgress",
    "ImageRequirement",
    "PlainProgress",
    "SilentProgress",
    "build_image_name",
    "ensure_images",
    "ensure_stack_images",
    "required_images",
    "toxiproxy_image",
]
