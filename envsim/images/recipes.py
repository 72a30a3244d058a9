"""The offline recipes: their files, cache keys and labels; which stand-in replaces an image.

Pure: no engine. A recipe is a directory of package data (a Dockerfile and its helpers)
built FROM a Debian base image; its cache key is a hash of those files and the build args.
Which Debian release and version stands in for an image is decided in envsim.plan.stand_ins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from importlib import resources

from envsim.errors import EnvironmentProblem
from envsim.plan.stand_ins import (
    DEFAULT_SUITE,
    LABEL_RECIPE,
    LABEL_STAND_IN,
    LABEL_STAND_IN_SUITE,
    LABEL_STAND_IN_VERSION,
    LABEL_SUBSTITUTE,
    StandIn,
    debian_base_image,
    family_of,
    offline_tags,
    resolve_stand_in,
)
from envsim.plan.stand_ins import (
    split_reference as split_reference,  # re-exported: callers parse references here
)

DEBIAN_SUITE = DEFAULT_SUITE
DEBIAN_BASE_IMAGE = debian_base_image(DEBIAN_SUITE)

LABEL_MANAGED = "envsim.managed"
LABEL_HASH = "envsim.recipe-hash"

# Bump when the way recipes are built changes in a way their files do not show.
RECIPE_FORMAT = "1"


def substitute_for(image: str) -> StandIn | None:
    """The stand-in for an official image; None when envsim knows no recipe for it.

    Raises EnvironmentProblem when the repository is known but no Debian release has a
    version that can stand in (another Python major), naming what is available offline.
    """
    stand_in = resolve_stand_in(image)
    family = family_of(image)
    if stand_in is None and family is not None:
        raise EnvironmentProblem(
            f"image {image} is not present nor pullable, and no Debian release on the mirror "
            f"provides a {family.title} that can stand in for it; offline stand-ins exist for: "
            f"{', '.join(offline_tags(family.repository))}",
            hint="use one of those tags in the profile, or load the real image with `docker load`",
        )
    return stand_in


def recipe_files(recipe: str) -> dict[str, bytes]:
    """The files of a recipe shipped as package data, by relative path."""
    root = resources.files("envsim.images") / "recipes" / recipe
    files: dict[str, bytes] = {}

    def walk(node, prefix: str) -> None:
        for child in node.iterdir():
            if child.name == "__pycache__":
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                files[f"{prefix}{child.name}"] = child.read_bytes()

    if not root.is_dir():
        raise EnvironmentProblem(f"envsim's recipe {recipe!r} is missing from the installed package")
    walk(root, "")
    return files


def recipe_hash(files: Mapping[str, bytes], args: Mapping[str, str], inputs: Mapping[str, str] = {}) -> str:
    """A cache key: changes exactly when a recipe's files, build args or other inputs change."""
    digest = hashlib.sha256()
    digest.update(f"envsim-recipe-format:{RECIPE_FORMAT}\n".encode())
    for path in sorted(files):
        digest.update(f"file:{path}:{len(files[path])}\n".encode())
        digest.update(files[path])
    digest.update(json.dumps(sorted(args.items())).encode())
    digest.update(json.dumps(sorted(inputs.items())).encode())
    return digest.hexdigest()[:32]


def managed_labels(recipe: str, key: str, stand_in: StandIn | None = None) -> dict[str, str]:
    labels = {LABEL_MANAGED: "true", LABEL_RECIPE: recipe, LABEL_HASH: key}
    if stand_in is not None:
        labels.update(
            {
                LABEL_SUBSTITUTE: "debian",
                LABEL_STAND_IN_SUITE: stand_in.suite,
                LABEL_STAND_IN_VERSION: stand_in.version,
                LABEL_STAND_IN: stand_in.describe(),
            }
        )
    return labels
