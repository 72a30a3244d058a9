"""End-to-end tests: the `envsim` CLI as a user runs it, against the example shop on a real
Docker engine with real Toxiproxy and Locust.

Each test works in a copy of the repo's profiles/ and examples/ under tmp_path, with its own
state directory and its own stack names, and counts what it leaves in the engine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def engine():
    from envsim.engine.docker_engine import connect
    from envsim.errors import EnvironmentProblem

    try:
        client = connect()
    except EnvironmentProblem as problem:
        pytest.fail(f"{problem} (run scripts/test-setup.sh first)", pytrace=False)
    yield client
    client.close()


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("envsim-state")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A throwaway app repo: the example shop, its profiles, an empty scenarios/."""
    shutil.copytree(REPO / "profiles", tmp_path / "profiles")
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "scenarios").mkdir()
    (tmp_path / ".git").mkdir()  # marks the repo root that paths may not leave
    return tmp_path


@pytest.fixture
def stack_name() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


class Cli:
    def __init__(self, cwd: Path, state_dir: Path):
        self.cwd = cwd
        self.env = {**os.environ, "ENVSIM_STATE_DIR": str(state_dir), "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "envsim", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "envsim", *args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def cli(project: Path, state_dir: Path) -> Cli:
    return Cli(project, state_dir)


@pytest.fixture
def remove_stacks(engine, state_dir):
    """Names registered here are removed at the end even when a test fails midway."""
    names: list[str] = []
    yield names
    from envsim.engine.teardown import remove_stack, remove_stack_images

    for name in names:
        remove_stack(engine, name, {"ENVSIM_STATE_DIR": str(state_dir)})
        remove_stack_images(engine, name)
