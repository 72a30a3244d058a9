"""`envsim run --duration` shorter than the timeline says, before any load, what it cuts off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_a_short_duration_warns_of_the_faults_and_checks_it_cuts_off(tmp_path):
    # no engine answers here: the warning comes before anything touches one
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ENVSIM_STATE_DIR": str(tmp_path / "state"),
        "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock",
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-m", "envsim", "run", "scenarios/checkout.yaml", "--duration", "25s", "--no-up"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stderr.splitlines()
    assert lines[0] == "warning: --duration 25s is shorter than the timeline of scenarios/checkout.yaml:", done.stderr
    assert "  fault cache-down (at 40s) never starts: the load lasts 25s" in lines
    assert "  check recovery after cache-down < 10s cannot be measured: fault cache-down is never applied" in lines
    assert done.returncode == 3, done.stderr  # then: no engine, an environment problem
    assert "Traceback" not in done.stderr
