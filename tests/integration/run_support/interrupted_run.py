"""Runs a long load with a fault from 0.5 s until the end, for the interruption test.

Usage: python interrupted_run.py SWITCH_LOG. Prints the LoadResult summary as JSON on exit.
"""

from __future__ import annotations

import json
import math
import sys

from target_server import DelaySwitch, TargetServer  # run as a script from this directory

from envsim.config.scenario_model import LoadSpec, LoadTask
from envsim.journal import TimelineStep
from envsim.run.load_with_faults import run_load

if __name__ == "__main__":
    with TargetServer(delay=0.05) as server:
        load = LoadSpec(
            users=3, spawn_rate=10, duration=60, wait=(0.05, 0.1), tasks=(LoadTask("slow", "GET", "/slow"),)
        )
        result = run_load(
            load, server.url, (TimelineStep("slow-backend", 0.5, math.inf),), DelaySwitch(server, sys.argv[1])
        )
    print(
        json.dumps(
            {
                "interrupted": result.interrupted,
                "duration": result.duration,
                "faults": [[e.fault, e.action, e.detail] for e in result.faults],
                "seconds": len({p.t for p in result.series}),
                "requests": sum(p.requests for p in result.series if p.endpoint == ""),
            }
        ),
        flush=True,
    )
