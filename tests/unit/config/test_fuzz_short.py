"""The short version of bench/fuzz_inputs.py: mutated profiles, scenarios and journals end in a
result or located problems, never in a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "fuzz_inputs.py"

# 300 mutated inputs through every layer in the full command (`slow`); the fast tier runs 40 with
# the same seed, which still reach every layer, so an edit that brings back a traceback on a common
# shape fails there too.
CASES = [pytest.param(300, marks=pytest.mark.slow, id="300 cases"), pytest.param(40, id="40 cases")]


@pytest.mark.parametrize("cases", CASES)
def test_mutated_inputs_raise_no_traceback(cases):
    done = subprocess.run(
        [sys.executable, str(BENCH), "--cases", str(cases), "--seed", "7"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    counts = dict(line.rsplit(None, 1) for line in done.stdout.splitlines()[1:])
    assert counts["tracebacks"] == "0" and counts["rejected without a location"] == "0"
    # the mutations reach every layer: some inputs are rejected, some planned, journals judged
    assert int(counts["rejected"]) > 0 and int(counts["planned"]) > 0 and int(counts["journals judged"]) > 0
