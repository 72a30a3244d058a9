"""A run whose locustfile holds gevent's loop (a task that computes for a minute), for the
orphan test. Usage: python busy_locust_run.py LOCUSTFILE."""

from __future__ import annotations

import sys
from pathlib import Path

from target_server import TargetServer  # run as a script from this directory

from envsim.config.scenario_model import LoadSpec
from envsim.run.load_with_faults import run_load

if __name__ == "__main__":
    with TargetServer() as server:
        run_load(LoadSpec(users=1, spawn_rate=1, duration=120, locustfile=Path(sys.argv[1])), server.url)
