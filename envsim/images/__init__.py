"""Making every image a profile needs available, also where no registry answers.

Public API (importing this package does not import docker):
    required_images(profile) -> list[ImageRequirement]
    ensure_images(requirements, docker_client, progress=None, *, pull=True) -> {name: image id}
    ensure_stack_images(docker_client, profile, plan, *, pull=True, progress=None, toxiproxy_image=None)
        -> {image name of each planned container: image id, "toxiproxy": image id}
    toxiproxy_image(docker_client) -> the Toxiproxy image reference to run
    TOXIPROXY_IMAGE (the pinned official image; the key ensure_images reports it under)
    mockserver_requirement(override=None) -> the ImageRequirement for stub services' MockServer
    mockserver_image(docker_client, override=None) -> the MockServer image reference to run
    MOCKSERVER_IMAGE (pinned official image), MOCKSERVER_IMAGE_ENV (the override's variable name)
"""

from __future__ import annotations

from envsim.images.progress import ImageProgress, PlainProgress, SilentProgress
from envsim.images.recipes import (
    DEBIAN_BASE_IMAGE,
    LABEL_MANAGED,
    LABEL_SUBSTITUTE,
)
from envsim.images.requirements import (
    MOCKSERVER_IMAGE,
    MOCKSERVER_IMAGE_ENV,
    MOCKSERVER_LOCAL_IMAGE,
    MOCKSERVER_VERSION,
    TOXIPROXY_IMAGE,
    TOXIPROXY_LOCAL_IMAGE,
    TOXIPROXY_VERSION,
    ImageRequirement,
    build_image_name,
    mockserver_requirement,
    required_images,
)


def ensure_images(requirements, docker_client, progress=None, *, pull=True, pull_timeout=30.0):
    from envsim.images.ensure import ensure_images as _ensure_images

    return _ensure_images(requirements, docker_client, progress, pull=pull, pull_timeout=pull_timeout)


def ensure_stack_images(
    docker_client, profile, plan, *, pull=True, progress=None, toxiproxy_image=None, mockserver_image=None
):
    from envsim.images.stack_images import ensure_stack_images as _ensure_stack_images

    return _ensure_stack_images(
        docker_client,
        profile,
        plan,
        pull=pull,
        progress=progress,
        toxiproxy_image=toxiproxy_image,
        mockserver_image=mockserver_image,
    )


def toxiproxy_image(docker_client) -> str:
    from envsim.images.ensure import toxiproxy_image as _toxiproxy_image

    return _toxiproxy_image(docker_client)


def mockserver_image(docker_client, override: str | None = None) -> str:
    from envsim.images.ensure import mockserver_image as _mockserver_image

    return _mockserver_image(docker_client, override)


__all__ = [
    "DEBIAN_BASE_IMAGE",
    "LABEL_MANAGED",
    "LABEL_SUBSTITUTE",
    "MOCKSERVER_IMAGE",
    "MOCKSERVER_IMAGE_ENV",
    "MOCKSERVER_LOCAL_IMAGE",
    "MOCKSERVER_VERSION",
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
    "mockserver_image",
    "mockserver_requirement",
    "required_images",
    "toxiproxy_image",
]
