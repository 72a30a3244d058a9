"""Reading a Dockerfile's FROM lines, and `build: {base: IMAGE}` rewriting them in a copy.

Pure: text in, text or data out. `base` swaps the image a build starts from without editing
the Dockerfile (say the pinned `python:3.9.10-slim` has no offline stand-in, `python:3.11-slim`
has). Which FROM lines it replaces:

- the Dockerfile's base is the external image its *final* stage grows from (`FROM stage`
  is followed back to the image that stage started from), since that is what runs;
- every FROM naming that image's repository, whatever its tag, is replaced: the builder
  stage of a multi-stage build then gets the same version as the runtime (wheels and
  binaries built on one version and run on another break);
- FROMs of other images (a `node` stage building assets) and of earlier stages stay.

ARGs declared before the first FROM are applied first, as Docker does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?\s*$", re.IGNORECASE)
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.IGNORECASE)
_FROM_IMAGE = re.compile(r"^(\s*FROM\s+(?:--platform=\S+\s+)?)(\S+)", re.IGNORECASE)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class FromLine:
    line: int  # 1-based line of the Dockerfile where the FROM instruction starts
    image: str  # with build args applied: an image, an earlier stage's name, or "scratch"
    stage: str | None  # the `AS name`, lower-cased
    external: bool  # an image to pull or build, not an earlier stage nor scratch


def from_lines(text: str, args: dict[str, str]) -> list[FromLine]:
    values: dict[str, str] = {}
    stages: set[str] = set()
    found: list[FromLine] = []
    for number, line in _logical_lines(text):
        arg = _ARG.match(line)
        if arg and not found:  # only ARGs before the first FROM parameterise FROM
            name, default = arg.group(1), _unquote(arg.group(2) or "")
            values[name] = args.get(name, default)
            continue
        match = _FROM.match(line)
        if not match:
            continue
        image = _substitute(match.group(1), values)
        external = bool(image) and image.lower() not in stages and image != "scratch"
        stage = match.group(2).lower() if match.group(2) else None
        if stage:
            stages.add(stage)
        found.append(FromLine(number, image, stage, external))
    return found


def external_images(text: str, args: dict[str, str]) -> list[str]:
    """External images named by FROM lines, each once, in order."""
    images: list[str] = []
    for entry in from_lines(text, args):
        if entry.external and entry.image not in images:
            images.append(entry.image)
    return images


def final_base(lines: list[FromLine]) -> FromLine | None:
    """The FROM of the external image the final stage grows from; None for scratch or no FROM."""
    if not lines:
        return None
    by_stage = {entry.stage: entry for entry in lines if entry.stage}
    current, seen = lines[-1], set()
    while not current.external and current.image.lower() in by_stage and current.image.lower() not in seen:
        seen.add(current.image.lower())
        current = by_stage[current.image.lower()]
    return current if current.external else None


def base_problem(text: str, args: dict[str, str]) -> str | None:
    """Why `base` cannot apply to this Dockerfile, or None."""
    lines = from_lines(text, args)
    if not lines:
        return "the Dockerfile has no FROM line for `base` to replace"
    if final_base(lines) is None:
        return (
            f"the Dockerfile's final stage starts FROM {lines[-1].image or 'nothing'}, "
            "not an image, so `base` has nothing to replace"
        )
    return None


def rewrite_base(text: str, args: dict[str, str], base: str) -> tuple[str, list[str]]:
    """The Dockerfile with `base` in place of its base image; and the images it replaced."""
    lines = from_lines(text, args)
    target = final_base(lines)
    if target is None:
        return text, []
    repository = repository_of(target.image)
    rewritten = text.splitlines(keepends=True)
    replaced: list[str] = []
    for entry in lines:
        raw = rewritten[entry.line - 1]
        # a FROM split over lines keeps its image (rare; rewriting half of it would break it)
        if entry.external and repository_of(entry.image) == repository and not raw.rstrip().endswith("\\"):
            rewritten[entry.line - 1] = _FROM_IMAGE.sub(lambda m: m.group(1) + base, raw, count=1)
            if entry.image not in replaced:
                replaced.append(entry.image)
    return "".join(rewritten), replaced


def rewrite_images(text: str, args: dict[str, str], replacements: dict[str, str]) -> str:
    """The Dockerfile with each FROM of an image in `replacements` naming its replacement
    (how builds reach stand-ins, which run under envsim's own names)."""
    rewritten = text.splitlines(keepends=True)
    for entry in from_lines(text, args):
        raw = rewritten[entry.line - 1]
        new = replacements.get(entry.image) if entry.external else None
        if new is not None and not raw.rstrip().endswith("\\"):
            keyword = _FROM_IMAGE.match(raw)
            assert keyword is not None  # from_lines found a FROM on this line
            rewritten[entry.line - 1] = keyword.group(1) + new + raw[keyword.end() :]
    return "".join(rewritten)


def repository_of(image: str) -> str:
    """`docker.io/library/python:3.9@sha256:…` -> "python": the tag and digest do not count."""
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name[len("library/") :] if name.startswith("library/") else name


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, joined text) of each instruction; comments dropped."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") and not pending:
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append((start, pending + stripped))
        pending = ""
    if pending:
        lines.append((start, pending))
    return lines


def _substitute(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        value = values.get(name, "")
        if not value and match.group(2) is not None:
            return match.group(2)
        return value

    return _VARIABLE.sub(replace, text)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
