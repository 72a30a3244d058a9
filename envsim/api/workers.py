"""Joining a run from another machine as one of its Locust workers."""

from __future__ import annotations

from envsim.errors import InputError
from envsim.run.remote_worker import join


def master_address(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets) as (host, port); InputError when it is not one."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"--master: {text!r} is not HOST:PORT (e.g. 10.0.0.5:5557)")
    return host, int(port)


def join_run(master: str, *, name: str = "") -> int:
    """Run a Locust worker for the run whose master listens at `master` (HOST:PORT), until it ends.

    Returns the worker's exit status: 0 when the run ended, 3 when the master refused it
    (different envsim or Locust versions, the run has its workers) or did not answer.
    """
    host, port = master_address(master)
    return join(host, port, name)
