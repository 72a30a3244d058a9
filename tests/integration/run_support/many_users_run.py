"""A short run of many users started at once, each waiting 1-2 s between requests, against
URL; prints the run's users, requests and failures as JSON. The caller sets this process's
open-file limits (the Locust child inherits them). Usage: python many_users_run.py URL USERS."""

from __future__ import annotations

import json
import sys

from envsim.config.scenario_model import LoadSpec, LoadTask
from envsim.journal import ALL_ENDPOINTS
from envsim.run.load_with_faults import run_load

if __name__ == "__main__":
    url, users = sys.argv[1], int(sys.argv[2])
    load = LoadSpec(
        users=users, spawn_rate=users, duration=4, wait=(1.0, 2.0), tasks=(LoadTask("browse", "GET", "/fast"),)
    )
    result = run_load(load, url)
    total = [p for p in result.series if p.endpoint == ALL_ENDPOINTS]
    reasons = sorted({reason.message for p in result.series for reason in p.failure_reasons})
    figures = {"users": max(p.users for p in total), "requests": sum(p.requests for p in total)}
    print(
        json.dumps({**figures, "failures": sum(p.failures for p in total), "reasons": reasons, "error": result.error})
    )
