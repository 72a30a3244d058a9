"""The open-file limit of a Locust process: one socket per user it runs, and room besides.

Plain `locust` raises its soft RLIMIT_NOFILE to at least 10,000 as it starts; envsim runs
Locust as a library, so its Locust processes raise it themselves. Many systems start
processes with a soft limit of 1,024 under a far higher hard limit, and a Locust process
with more users than that fails their connections with "Too many open files" (EMFILE),
which a run would report as the app's errors. The soft limit is only ever raised, and never
above the hard limit, which only an administrator can change.
"""

from __future__ import annotations

import resource
import sys
from typing import Any

LOCUST_MINIMUM = 10_000  # what plain `locust` sets
SPARE = 1_000  # beside the users' sockets: Python, Locust, ZeroMQ, logs, a locustfile's own files


def wanted_soft_limit(soft: int, hard: int, users: int) -> int:
    """The soft limit a process running `users` users should have, given its current limits
    (resource.RLIM_INFINITY for no limit)."""
    if soft == resource.RLIM_INFINITY:
        return soft
    wanted = max(soft, LOCUST_MINIMUM, users + SPARE)
    return wanted if hard == resource.RLIM_INFINITY else max(soft, min(wanted, hard))


def raise_open_file_limit(users: int) -> str:
    """Raise this process's soft limit for `users` users; a warning when it stays too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = wanted_soft_limit(soft, hard, users)
    if wanted != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass  # a sandbox may refuse: the warning says what the limit is
    if soft != resource.RLIM_INFINITY and soft < users + SPARE:
        return (
            f"warning: this process may open {soft} files (hard limit {hard}), too few for {users} users, "
            "whose connections will fail with 'Too many open files'; raise the hard limit (ulimit -Hn) or add workers"
        )
    return ""


def warn_if_short_of_files(config: dict[str, Any]) -> None:
    """Room for a socket per user the load asks for at its most (a worker runs a share of
    them, but which share is its master's to say); a warning on stderr when there is not."""
    users = max([int(config.get("users") or 0), *(int(stage[1]) for stage in config.get("stages") or ())])
    warning = raise_open_file_limit(users)
    if warning:
        print(warning, file=sys.stderr, flush=True)
