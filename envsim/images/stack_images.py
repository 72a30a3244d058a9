"""The images one planned stack runs, keyed as the stack layer looks them up."""

from __future__ import annotations

from envsim.config.profile_model import Profile
from envsim.images.ensure import ensure_images
from envsim.images.progress import ImageProgress, SilentProgress
from envsim.images.requirements import (
    BALANCER_IMAGE,
    TOXIPROXY_IMAGE,
    ImageRequirement,
    mockserver_requirement,
    required_images,
)


class _StepProgress:
    """Adapts a progress object with `step(subject, message)` (the stack layer's) to ours."""

    def __init__(self, target):
        self.target = target

    def report(self, image: str, message: str) -> None:
        self.target.step(image, message)


def ensure_stack_images(
    client,
    profile: Profile,
    plan,
    *,
    pull: bool = True,
    progress=None,
    toxiproxy_image: str | None = None,
    mockserver_image: str | None = None,
) -> dict[str, str]:
    """Image id by every image name the plan's containers use, plus "toxiproxy" (and
    "mockserver" when the profile has stubs; `mockserver_image` is ENVSIM_MOCKSERVER_IMAGE).

    `toxiproxy_image` replaces the pinned official image (ENVSIM_TOXIPROXY_IMAGE on the command
    line): it is used as given, present locally or pulled, never built.
    """
    if progress is None:
        sink: ImageProgress = SilentProgress()
    elif hasattr(progress, "report"):
        sink = progress
    else:
        sink = _StepProgress(progress)
    requirements = required_images(profile, plan.stack)
    if toxiproxy_image:
        requirements = [r for r in requirements if r.source != "toxiproxy"]
        requirements.append(ImageRequirement(toxiproxy_image, "image"))
    stub_image = None
    if any(r.source == "mockserver" for r in requirements):
        stub_image = mockserver_requirement(mockserver_image)
        requirements = [r for r in requirements if r.source != "mockserver"] + [stub_image]
    prepared = ensure_images(requirements, client, sink, pull=pull)
    missing = sorted({c.image for c in plan.containers if c.image and c.image not in prepared})
    if missing:
        # The plan and required_images name built images the same way; a gap is a bug here.
        raise AssertionError(f"images planned but not prepared: {', '.join(missing)}")
    ids = {**prepared, "toxiproxy": prepared[toxiproxy_image or TOXIPROXY_IMAGE]}
    if BALANCER_IMAGE in prepared:
        ids["balancer"] = prepared[BALANCER_IMAGE]
    if stub_image is not None:
        ids["mockserver"] = prepared[stub_image.name]
    return ids
