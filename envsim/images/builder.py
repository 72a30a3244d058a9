"""Running `docker build` through the engine API, with envsim's labels and a cache key.

Also hashes a user's build context, so an unchanged context is not rebuilt.
"""

from __future__ import annotations

import fnmatch
import hashlib
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path

from envsim.engine.docker_engine import BUILT_AS_LABEL
from envsim.errors import EnvironmentProblem
from envsim.images.progress import ImageProgress
from envsim.images.recipes import LABEL_HASH, LABEL_MANAGED

_BUILD_TIMEOUT = 1800  # seconds for the whole API call; apt installs take minutes on 2 cores


def cached_image_id(client, name: str, key: str) -> str | None:
    """The id of `name` if it exists and was built from the inputs `key` stands for."""
    image = local_image(client, name)
    if image is not None and (image.labels or {}).get(LABEL_HASH) == key:
        return image.id
    return None


def local_image(client, name: str):
    import docker.errors

    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def build_image(
    client,
    context: Path,
    tag: str,
    *,
    dockerfile: str = "Dockerfile",
    buildargs: Mapping[str, str] | None = None,
    labels: Mapping[str, str],
    progress: ImageProgress,
    shown_as: str | None = None,
) -> str:
    """Build `context` as `tag`; returns the image id. Never pulls (FROM images are ensured first).

    `shown_as` names the Dockerfile in messages when `dockerfile` is a rewritten copy."""
    started = time.monotonic()
    replaced = local_image(client, tag)
    log = BuildLog()
    previous_timeout = client.api.timeout
    client.api.timeout = _BUILD_TIMEOUT
    try:
        stream = client.api.build(
            path=str(context),
            dockerfile=dockerfile,
            tag=tag,
            buildargs=dict(buildargs or {}),
            labels={**labels, BUILT_AS_LABEL: tag},
            rm=True,
            forcerm=True,
            pull=False,
            decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                raise build_failure(tag, context, shown_as or dockerfile, log, str(chunk["error"]))
            for line in log.feed(str(chunk.get("stream", ""))):
                if line.startswith("Step "):
                    progress.report(tag, line)
    finally:
        client.api.timeout = previous_timeout
    image = local_image(client, tag)
    if image is None:
        raise EnvironmentProblem(f"building {tag} finished but the engine has no such image")
    progress.report(tag, f"built in {time.monotonic() - started:.0f}s ({image.short_id})")
    if replaced is not None and replaced.id != image.id:
        _remove_if_unused(client, replaced)
    return image.id


class BuildLog:
    """The engine's build output as whole lines: chunks end anywhere, even mid-line.

    Keeps the current step's line and its output (the last lines), which is what a failed
    build's message needs.
    """

    def __init__(self, keep: int = 40):
        self._partial = ""
        self.step = ""
        self.output: deque[str] = deque(maxlen=keep)

    def feed(self, text: str) -> list[str]:
        """The lines `text` completes (a carriage return ends a line too: progress bars)."""
        text = (self._partial + text).replace("\r\n", "\n").replace("\r", "\n")
        *complete, self._partial = text.split("\n")
        for line in complete:
            self._note(line.rstrip())
        return [line.rstrip() for line in complete]

    def finish(self) -> None:
        if self._partial:
            self._note(self._partial.rstrip())
            self._partial = ""

    def _note(self, line: str) -> None:
        if line.startswith("Step "):
            self.step, self.output = line, deque(maxlen=self.output.maxlen)
        elif line and not line.startswith((" ---> ", "Removing intermediate container")):
            self.output.append(line)


def build_failure(tag: str, context: Path, dockerfile: str, log: BuildLog, error: str) -> EnvironmentProblem:
    """What happened (the step, its last whole output lines, the engine's words), what envsim
    did, and how to go on."""
    log.finish()
    step = log.step.split(" : ", 1)
    where = f"step {step[0][len('Step ') :]} ({step[1]})" if len(step) == 2 else "before its first step"
    output = "\n".join(f"  | {line}" for line in log.output) or "  (the step printed nothing)"
    return EnvironmentProblem(
        f"building {tag} failed at {where}: {' '.join(error.split())}\n"
        f"last output of that step:\n{output}\n"
        "envsim stopped there: no container was started or replaced, the previous image (if any) is kept",
        hint=f"fix that step of {dockerfile} (build context {context}); "
        f"`docker build -f {dockerfile} {context}` shows the same log",
    )


def _remove_if_unused(client, image) -> None:
    """Drop the image a rebuild replaced, if envsim made it and no container still uses it."""
    import docker.errors

    if (image.labels or {}).get(LABEL_MANAGED) != "true":
        return
    try:
        client.images.remove(image.id)
    except docker.errors.APIError:
        pass  # still used by a container (or tagged elsewhere): the engine keeps it


# envsim's own outputs (run reports, state) and caches: never an input of the app's image,
# so writing them into a build context must not cause a rebuild (and a replaced container).
# `reports` is envsim's default directory name, matched at the top of the context only (an
# app may have a source package called reports); the files of a reports directory anywhere.
OWN_OUTPUT_PATTERNS = (
    "reports",
    "**/.envsim",
    "**/__pycache__",
    "**/.git",
    "**/journal.json",
    "**/report.html",
    "**/junit.xml",
    "**/summary.md",
    "**/verdict.json",
)


def context_digest(context: Path, dockerfile: str) -> str:
    """A hash of what `docker build` would send: every file not excluded by .dockerignore.

    Matching is conservative: with negated patterns ("!x") nothing is excluded, so a change
    can only cause a rebuild too many, never a stale image. envsim's own outputs
    (OWN_OUTPUT_PATTERNS) are left out always.
    """
    patterns = _dockerignore(context)
    digest = hashlib.sha256()
    for path in sorted(p for p in context.rglob("*") if p.is_file() or p.is_symlink()):
        relative = path.relative_to(context).as_posix()
        if relative != dockerfile and (_ignored(relative, patterns) or _ignored(relative, list(OWN_OUTPUT_PATTERNS))):
            continue
        digest.update(f"{relative}\0".encode())
        if path.is_symlink():
            digest.update(f"link:{path.readlink()}".encode())
        else:
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def _dockerignore(context: Path) -> list[str]:
    ignore = context / ".dockerignore"
    patterns = [".git"]
    if ignore.is_file():
        for line in ignore.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                patterns.append(line.strip("/"))
    if any(p.startswith("!") for p in patterns):
        return []
    return patterns


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        bare = pattern[3:] if pattern.startswith("**/") else None
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern):
                return True
            if bare and fnmatch.fnmatchcase(prefix.rsplit("/", 1)[-1], bare):
                return True
    return False
