"""Where an unexpected exception's traceback goes: a private file, never the terminal.

A bug in envsim is an environment problem for the user (exit 3), not a verdict: the terminal
gets one line and the file's path, the file the traceback for a bug report. Secret values of
the stacks in the state directory are redacted from it, as from everything envsim writes.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import traceback
from collections.abc import Mapping
from pathlib import Path

from envsim.engine.state import state_root
from envsim.fileio import write_atomic

CRASH_DIR = "crashes"


def save_traceback(error: BaseException, env: Mapping[str, str] | None = None) -> Path | None:
    """Write `error`'s traceback to `<state dir>/crashes/`, else the temporary directory; the
    path written, or None when neither is writable."""
    env = os.environ if env is None else env
    text = redact("".join(traceback.format_exception(type(error), error, error.__traceback__)), env)
    name = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}.txt"
    for directory in (state_root(env) / CRASH_DIR, Path(tempfile.gettempdir()) / "envsim-crashes"):
        try:
            write_atomic(directory / name, text, private=True)
            return directory / name
        except OSError:
            continue
    return None


def one_line(error: BaseException, env: Mapping[str, str] | None = None) -> str:
    """`Type: message` on one line, shortened, secrets redacted."""
    text = " ".join(str(error).split()) or "(no message)"
    text = text if len(text) <= 300 else text[:297] + "..."
    return redact(f"{type(error).__name__}: {text}", os.environ if env is None else env)


def redact(text: str, env: Mapping[str, str]) -> str:
    for value in sorted(_known_secrets(state_root(env)), key=len, reverse=True):
        text = text.replace(value, "<redacted>")
    return text


def _known_secrets(root: Path) -> set[str]:
    values: set[str] = set()
    for path in (root / "stacks").glob("*/secrets.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            values.update(v for v in data.values() if isinstance(v, str) and len(v) >= 4)
    return values
