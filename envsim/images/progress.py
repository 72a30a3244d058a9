"""Progress of image preparation, one line per event; the CLI decides where lines go."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class ImageProgress(Protocol):
    def report(self, image: str, message: str) -> None: ...


class SilentProgress:
    def report(self, image: str, message: str) -> None:
        pass


class PlainProgress:
    """`[image] message` lines, flushed at once so CI logs show where time goes."""

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream

    def report(self, image: str, message: str) -> None:
        stream = self._stream or sys.stderr
        stream.write(f"[{image}] {message}\n")
        stream.flush()
