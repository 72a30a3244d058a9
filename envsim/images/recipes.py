"""The offline recipes: which official images Debian packages can stand in for, and cache keys.

Pure: no engine. A recipe is a directory of package data (a Dockerfile and its helpers)
built FROM the Debian base image; its cache key is a hash of those files and the build args.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Mapping

from envsim.errors import EnvironmentProblem

DEBIAN_SUITE = "bookworm"
DEBIAN_BASE_IMAGE = f"envsim/debian:{DEBIAN_SUITE}"

LABEL_MANAGED = "envsim.managed"
LABEL_SUBSTITUTE = "envsim.substitute"  # "debian" on images standing in for official ones
LABEL_RECIPE = "envsim.recipe"
LABEL_HASH = "envsim.recipe-hash"

# Bump when the way recipes are built changes in a way their files do not show.
RECIPE_FORMAT = "1"


@dataclass(frozen=True)
class SubstituteFamily:
    """An official image repository that a recipe can imitate, and the versions Debian has."""

    repository: str
    recipe: str
    versions: tuple[str, ...]  # as precise as Debian pins them: "15", "7.0", "3.11"
    version_arg: str  # the build arg that selects the Debian package version


FAMILIES: dict[str, SubstituteFamily] = {
    "postgres": SubstituteFamily("postgres", "postgres", ("15",), "PG_MAJOR"),
    "redis": SubstituteFamily("redis", "redis", ("7.0",), "REDIS_VERSION"),
    "python": SubstituteFamily("python", "python", ("3.11",), "PYTHON_VERSION"),
}


@dataclass(frozen=True)
class Substitute:
    image: str  # the reference as the profile wrote it; the substitute is tagged with it
    recipe: str
    args: tuple[tuple[str, str], ...]


def split_reference(image: str) -> tuple[str, str]:
    """`docker.io/library/postgres:15` -> ("postgres", "15"); the tag defaults to latest."""
    name, tag = image, "latest"
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = image.rsplit(":", 1)
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name.startswith("library/"):
        name = name[len("library/") :]
    return name, tag


def substitute_for(image: str) -> Substitute | None:
    """The recipe standing in for an official image; None when envsim knows no recipe for it.

    Raises EnvironmentProblem when the repository is known but Debian lacks the version,
    because silently running another major version would test the wrong thing.
    """
    if "@" in image:
        return None  # a digest asks for exact bytes no substitute has
    repository, tag = split_reference(image)
    family = FAMILIES.get(repository)
    if family is None:
        return None
    wanted = tag.split("-", 1)[0]
    for version in family.versions:
        if _version_matches(wanted, version):
            return Substitute(image, family.recipe, ((family.version_arg, version),))
    tags = ", ".join(f"{repository}:{v}" for v in _tag_forms(family.versions))
    raise EnvironmentProblem(
        f"image {image} is not present, no registry answered, and Debian {DEBIAN_SUITE} does not "
        f"provide {repository} {wanted}; offline substitutes exist for: {tags}",
        hint=f"use one of those tags in the profile, or load the real image with `docker load`",
    )


def _version_matches(wanted: str, available: str) -> bool:
    """`7` and `7.0` match Debian's 7.0; `7.2`, `7.0.15` or `latest` do not (no promise we can keep)."""
    wanted_parts = wanted.split(".")
    available_parts = available.split(".")
    return len(wanted_parts) <= len(available_parts) and available_parts[: len(wanted_parts)] == wanted_parts


def _tag_forms(versions: tuple[str, ...]) -> list[str]:
    forms: list[str] = []
    for version in versions:
        parts = version.split(".")
        for size in range(1, len(parts) + 1):
            form = ".".join(parts[:size])
            if form not in forms:
                forms.append(form)
    return forms


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


def managed_labels(recipe: str, key: str, substitute: bool = False) -> dict[str, str]:
    labels = {LABEL_MANAGED: "true", LABEL_RECIPE: recipe, LABEL_HASH: key}
    if substitute:
        labels[LABEL_SUBSTITUTE] = "debian"
    return labels
