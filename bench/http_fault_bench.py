"""What the HTTP fault-switch benches share (bench_http_fault_switch.py on a stub,
bench_http_fault_switch_real.py on a real service): a throwaway stack of one profile brought
up through envsim.api, a request's status through its entry point, and the switch latencies of
a FaultScheduler's events in milliseconds."""

from __future__ import annotations

import contextlib
import http.client
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def status_through(url: str, path: str) -> int | None:
    """The status of GET `path` at the entry point `url`; None when no answer came."""
    host, port = url.split("//", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


@contextlib.contextmanager
def throwaway_stack(profile_name: str, profile_text: str, stack_prefix: str) -> Iterator:
    """The profile's stack up under a fresh name in a repo and state directory of its own;
    removed on the way out."""
    from envsim.api import up

    work = Path(tempfile.mkdtemp(prefix=f"{stack_prefix}-"))
    (work / ".git").mkdir()
    (work / "profiles").mkdir()
    (work / "profiles" / f"{profile_name}.yaml").write_text(profile_text)
    env = {"ENVSIM_STATE_DIR": str(work / "state"), "PATH": "/usr/bin:/bin"}
    stack = up(work / "profiles" / f"{profile_name}.yaml", f"{stack_prefix}-{uuid.uuid4().hex[:6]}", env=env)
    try:
        yield stack
    finally:
        stack.down()


def lag_line(label: str, lags: list[float]) -> str:
    """`label n=.. p50 .. p99 .. max ..` of latencies in milliseconds."""
    return (
        f"{label} n={len(lags):3d}  p50 {statistics.median(lags):6.2f} ms  "
        f"p99 {percentile(lags, 0.99):6.2f} ms  max {max(lags):6.2f} ms"
    )
