"""The short version of bench/interrupt_trials.py: up and run stopped at random points by
SIGINT, SIGTERM and SIGKILL leave nothing behind. The two profiles' trials run side by side: they
share no stack, and each profile's are still one after the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "interrupt_trials.py"


def test_interrupted_commands_leave_nothing(state_dir):
    done = subprocess.run(
        [sys.executable, str(BENCH), "--trials", "4", "--seed", "11", "--side-by-side"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "leftovers         0" in done.stdout
    assert "trials            4" in done.stdout
