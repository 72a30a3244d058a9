"""A small disk of its own (a tmpfs) for tests that need one to fill up; skipped where this
process may not mount (the test machines run the tests as root)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

PAGE = 4096  # tmpfs counts whole pages


def pages(size: int) -> int:
    return -(-size // PAGE)


@contextlib.contextmanager
def small_disk(path: Path, size: int) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'mount failed'}): "
            "the full-disk tests need root or CAP_SYS_ADMIN"
        )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path, leave: int = 0) -> None:
    """Take every byte of `disk` but `leave` pages' worth."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize - leave * PAGE
    with open(disk / "filler", "wb") as handle:
        handle.write(b"\0" * max(free, 0))
