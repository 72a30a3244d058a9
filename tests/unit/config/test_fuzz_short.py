"""The short version of bench/fuzz_inputs.py: mutated profiles, scenarios and journals end in a
result or located problems, never in a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "fuzz_inputs.py"

# 300 mutated inputs through every layer: the full command runs it, --fast leaves it out.
pytestmark = pytest.mark.slow


def test_three_hundred_mutated_inputs_raise_no_traceback():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--cases", "300", "--seed", "7"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    counts = dict(line.rsplit(None, 1) for line in done.stdout.splitlines()[1:])
    assert counts["tracebacks"] == "0" and counts["rejected without a location"] == "0"
    # the mutations reach every layer: some inputs are rejected, some planned, journals judged
    assert int(counts["rejected"]) > 0 and int(counts["planned"]) > 0 and int(counts["journals judged"]) > 0
