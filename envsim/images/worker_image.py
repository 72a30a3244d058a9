"""The Locust worker image `--workers-on docker` runs: built here from envsim's own source.

The master refuses a worker whose envsim or Locust version differs from its own, so the image
carries this envsim's source and pins Locust and the libraries the Locust child imports to the
versions installed beside the master. Built FROM the Python image the tests prepare (present,
pulled, or Debian's stand-in), installing from the Python package index, never a container
registry. Cached by a key over the recipe, the source and those versions.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import metadata
from pathlib import Path

import envsim
from envsim.images import builder
from envsim.images.progress import ImageProgress, SilentProgress
from envsim.images.recipes import managed_labels, recipe_files, recipe_hash
from envsim.images.requirements import ImageRequirement

WORKER_RECIPE = "locust-worker"
WORKER_PYTHON_IMAGE = "python:3.11-slim"
WORKER_IMAGE = f"envsim/locust-worker:{envsim.__version__}"
# what `python -m envsim.run.locust_child` imports beyond the standard library (their own
# dependencies follow from these)
WORKER_DISTRIBUTIONS = ("locust", "psutil", "PyYAML")


def worker_requirements() -> str:
    """requirements.txt pinning each distribution to the version installed here."""
    return "".join(f"{name}=={metadata.version(name)}\n" for name in WORKER_DISTRIBUTIONS)


def envsim_source() -> dict[str, bytes]:
    """The envsim package's Python files (and package data), by path under the context."""
    package = Path(envsim.__file__).resolve().parent
    files: dict[str, bytes] = {}
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            files[f"envsim/{path.relative_to(package).as_posix()}"] = path.read_bytes()
    return files


def context_files() -> dict[str, bytes]:
    """The build context: the recipe, the pinned requirements and envsim's source."""
    return {**recipe_files(WORKER_RECIPE), "requirements.txt": worker_requirements().encode(), **envsim_source()}


def worker_image_key(files: dict[str, bytes], python_image_id: str) -> str:
    return recipe_hash(files, {"ENVSIM_PYTHON": WORKER_PYTHON_IMAGE}, {"python": python_image_id})


def build_from_name(tags: list[str], image_id: str) -> str:
    """The name to build FROM for the Python image ensured as `image_id` with these `tags`:
    the public name where the image carries it, else its own (a stand-in is tagged
    `envsim/stand-in/python:3.11-slim` only, and a FROM naming a tag the engine lacks makes the
    build pull it: on a machine without a registry the worker image failed to build)."""
    if WORKER_PYTHON_IMAGE in tags:
        return WORKER_PYTHON_IMAGE
    return sorted(tags)[0] if tags else image_id


def ensure_worker_image(client, steps=None) -> str:
    """The worker image's name, built first when it is missing or out of date.

    `steps` hears of it: an ImageProgress, or the stack layer's progress (`step(subject, message)`)."""
    from envsim.images.ensure import ensure_images
    from envsim.images.stack_images import _StepProgress

    progress: ImageProgress = steps if hasattr(steps, "report") else _StepProgress(steps) if steps else SilentProgress()
    python_id = ensure_images([ImageRequirement(WORKER_PYTHON_IMAGE, "image")], client, progress)[WORKER_PYTHON_IMAGE]
    python_from = build_from_name(client.images.get(python_id).tags, python_id)
    files = context_files()
    key = worker_image_key(files, python_id)
    if builder.cached_image_id(client, WORKER_IMAGE, key) is not None:
        progress.report(WORKER_IMAGE, "present (cached)")
        return WORKER_IMAGE
    progress.report(WORKER_IMAGE, f"building from envsim's {WORKER_RECIPE} recipe and this envsim's source")
    context = Path(tempfile.mkdtemp(prefix="envsim-locust-worker-"))
    try:
        for relative, content in files.items():
            target = context / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        builder.build_image(
            client,
            context,
            WORKER_IMAGE,
            buildargs={"ENVSIM_PYTHON": python_from},
            labels=managed_labels(WORKER_RECIPE, key),
            progress=progress,
        )
    finally:
        shutil.rmtree(context, ignore_errors=True)
    return WORKER_IMAGE
