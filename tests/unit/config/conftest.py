from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import scaffold


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """A repo root (also the working directory) holding the `envsim init` example files."""
    (tmp_path / ".git").mkdir()
    scaffold(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path
