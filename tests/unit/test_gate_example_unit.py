"""The gate example's own mocked unit tests (examples/gate/tests) pass, in both variants'
code paths, with plain pytest: no Docker, database or network. Run in a subprocess so the
example's `gate` package and conftest stay out of this suite's import space."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GATE = Path(__file__).resolve().parents[2] / "examples" / "gate"


def test_gate_example_unit_tests_pass():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=GATE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
