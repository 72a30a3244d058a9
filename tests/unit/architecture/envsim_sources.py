"""envsim's own source files as the architecture tests read them: each file parsed once per test
process, however many of those tests walk it."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "envsim"


@functools.cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))
