"""The images one planned stack runs, keyed as the stack layer looks them up."""

from __future__ import annotations

from envsim.config.model import Profile
from envsim.images.ensure import ensure_images
from envsim.images.progress import ImageProgress, SilentProgress
from envsim.images.requirements import TOXIPROXY_IMAGE, required_images


class _StepProgress:
    """Adapts a progress object with `step(subject, message)` (the stack layer's) to ours."""

    def __init__(self, target):
        self.target = target

    def report(self, image: str, message: str) -> None:
        self.target.step(image, message)


def ensure_stack_images(client, profile: Profile, plan, *, pull: bool = True, progress=None) -> dict[str, str]:
    """Image id by every image name the plan's containers use, plus "toxiproxy"."""
    if progress is None:
        sink: ImageProgress = SilentProgress()
    elif hasattr(progress, "report"):
        sink = progress
    else:
        sink = _StepProgress(progress)
    prepared = ensure_images(required_images(profile, plan.stack), client, sink, pull=pull)
    missing = sorted({c.image for c in plan.containers if c.image and c.image not in prepared})
    if missing:
        # The plan and required_images name built images the same way; a gap is a bug here.
        raise AssertionError(f"images planned but not prepared: {', '.join(missing)}")
    return {**prepared, "toxiproxy": prepared[TOXIPROXY_IMAGE]}
