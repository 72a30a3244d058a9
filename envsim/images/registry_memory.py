"""Registries that did not answer, remembered across commands for a while.

Without it every `up` and `run` on a machine with no registry tried each image again and
printed a failed-pull line per image per run. A registry that failed for a network reason is
written here with the time and why; pulls from it are skipped, and said once, until the entry
is older than ENVSIM_REGISTRY_RETRY seconds (default 15 minutes). A successful pull forgets it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from envsim.fileio import write_atomic
from envsim.images.host import cache_dir

DEFAULT_RETRY_SECONDS = 15 * 60


def _path() -> Path:
    return cache_dir() / "unreachable-registries.json"


def retry_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("ENVSIM_REGISTRY_RETRY", DEFAULT_RETRY_SECONDS)))
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def _read() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def unreachable_since(registry: str, now: float | None = None) -> tuple[float, str] | None:
    """(when it failed, why) while that is recent enough to skip pulling from `registry`."""
    entry = _read().get(registry)
    if not isinstance(entry, dict):
        return None
    at, why = entry.get("at"), entry.get("why")
    if not isinstance(at, (int, float)) or not isinstance(why, str):
        return None
    if (time.time() if now is None else now) - at >= retry_seconds():
        return None
    return float(at), why


def _write(entries: dict[str, dict[str, object]]) -> None:
    try:
        _path().parent.mkdir(parents=True, exist_ok=True)
        write_atomic(_path(), json.dumps(entries, indent=1, sort_keys=True))
    except OSError:
        pass  # a read-only cache costs only the memory: pulls are tried again next time


def remember_unreachable(registry: str, why: str, now: float | None = None) -> None:
    entries = _read()
    entries[registry] = {"at": time.time() if now is None else now, "why": why}
    _write(entries)


def forget(registry: str) -> None:
    entries = _read()
    if entries.pop(registry, None) is not None:
        _write(entries)
