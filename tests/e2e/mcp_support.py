"""What the MCP cancel and signal tests share: a copy of the example repo with a scenario that
holds a fault for most of a minute, a private state directory, stack names removed at the end."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import anyio
import pytest

from envsim import api

REPO = Path(__file__).resolve().parents[2]

# db-slow from the second second for most of a minute: a cancel lands while it is applied
CANCEL_SCENARIO = """\
envsim: 1
name: cancel-me
profile: prod-like
load:
  target: api
  users: 2
  spawn_rate: 2
  duration: 60s
  tasks:
    - {name: browse, weight: 1, request: "GET /products/db"}
timeline:
  - {at: 2s, for: 50s, fault: db-slow}
checks:
  - {metric: error_rate, below: 50%}
"""


@pytest.fixture
def app_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for part in ("profiles", "scenarios", "examples"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".git").mkdir()
    (root / "scenarios" / "cancel-me.yaml").write_text(CANCEL_SCENARIO)
    return root


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ENVSIM_STATE_DIR": str(tmp_path / "state")}


@pytest.fixture
def names(engine, env):
    """Stack names a test uses; whatever a failing test left is removed, and the images built for them."""
    used: list[str] = []
    yield used
    for name in used:
        api.down(name, images=True, env=env)


def new_name(names: list[str]) -> str:
    names.append(f"mcp-cancel-{uuid.uuid4().hex[:8]}")
    return names[-1]


async def settle(predicate, timeout: float, what: str) -> None:
    """wait_for, without blocking the event loop the in-memory server shares."""
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.5)


def toxics(name: str) -> list[str]:
    return [toxic for proxy in api.status(name).proxies for toxic in proxy.toxics]
