"""A Locust process opens a socket per user: it raises its own soft open-file limit, as plain
`locust` does, so users past the limit it was started with do not fail with EMFILE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from run_support.target_server import TargetServer

SUPPORT = Path(__file__).parent / "run_support"
LOW_SOFT_LIMIT = 64  # the inherited soft limit: far fewer files than the users' sockets
USERS = 150


def test_users_beyond_the_inherited_soft_limit_still_connect():
    with TargetServer() as server:
        run = subprocess.run(
            ["sh", "-c", f'ulimit -Sn {LOW_SOFT_LIMIT} && exec "$@"', "sh", sys.executable, "many_users_run.py"]
            + [server.url, str(USERS)],
            cwd=SUPPORT,
            capture_output=True,
            text=True,
            timeout=90,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.splitlines()[-1])
    assert figures["error"] is None
    assert figures["users"] == USERS
    assert figures["requests"] >= USERS  # each user's first request is sent as it starts
    assert (figures["failures"], figures["reasons"]) == (0, [])
