"""`envsim run --workers 2` on the example shop: the same check results as one process, and a
worker killed mid-run makes the verdict inconclusive (exit 4) naming it."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from e2e_support import wait_for

pytestmark = pytest.mark.alone  # two local workers and a killed one: the generator's CPU decides the timing

SCENARIO = """
envsim: 1
profile: base
load:
  target: api
  users: 4
  spawn_rate: 4
  duration: {duration}
  wait: [50ms, 100ms]
  tasks:
    - {{name: browse, request: "GET /products"}}
checks:
  - {{metric: error_rate, below: 1%}}
  - {{metric: rps, above: 5}}
  - {{metric: p95, below: 5s}}
  - {{metric: rps, above: 100000}}      # designed to fail: the same failure either way
"""


def _checks(directory) -> list[tuple[str, bool]]:
    verdict = json.loads((directory / "verdict.json").read_text())
    return [(result["check_id"], result["passed"]) for result in verdict["results"]]


def _worker_of(parent: int, name: str) -> int | None:
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == parent and b"worker" in argv and name.encode() in argv:
            return int(entry)
    return None


def test_two_workers_judge_like_one_process_and_a_killed_worker_is_inconclusive(
    cli, engine, project, stack_name, remove_stacks
):
    from envsim.journal import Journal

    remove_stacks.append(stack_name)
    scenario = project / "scenarios" / "browse.yaml"
    scenario.write_text(SCENARIO.format(duration="6s"), encoding="utf-8")

    one = cli.run("run", str(scenario), "--name", stack_name, "--keep", "--reports", "one")
    assert one.returncode == 1, one.stdout + one.stderr
    two = cli.run("run", str(scenario), "--name", stack_name, "--no-up", "--workers", "2", "--reports", "two")
    assert two.returncode == 1, two.stdout + two.stderr
    assert (
        _checks(project / "two")
        == _checks(project / "one")
        == [
            ("check-1", True),
            ("check-2", True),
            ("check-3", True),
            ("check-4", False),
        ]
    )
    journal = Journal.read(project / "two" / "journal.json")
    assert {s.worker for s in journal.worker_seconds} == {"worker-1", "worker-2"}
    assert journal.worker_losses == ()

    scenario.write_text(
        SCENARIO.format(duration="15s").replace("  - {metric: rps, above: 100000}", ""), encoding="utf-8"
    )
    run = cli.start("run", str(scenario), "--name", stack_name, "--no-up", "--workers", "2", "--reports", "three")
    worker = wait_for(lambda: _worker_of(run.pid, "worker-2"), timeout=60, what="worker-2 started")
    time.sleep(6)  # load under way: the loss must come well before the load ends
    os.kill(worker, signal.SIGKILL)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 4, out + err
    assert "Traceback" not in err
    assert "verdict: INCONCLUSIVE" in out and "Locust worker worker-2 was lost" in out
    [loss] = Journal.read(project / "three" / "journal.json").worker_losses
    assert loss.worker == "worker-2" and loss.how == "stopped sending heartbeats"
