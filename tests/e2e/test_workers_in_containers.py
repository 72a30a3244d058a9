"""`envsim run --workers 2 --workers-on docker`: the repo's smoke scenario judged by two Locust
workers in containers on the stack's network gives the same check results as one process;
a worker container killed mid-run makes the verdict inconclusive (exit 4) naming it; and after
each run (killed worker and Ctrl-C included) and `down`, no worker container is left. Only the
first needs a quiet machine (it holds the smoke scenario's p95 bound): the second runs in the
parallel part, on a stack of its own."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import pytest
from e2e_support import wait_for

from envsim.engine.docker_engine import labeled_containers
from envsim.plan.stack import LOAD_WORKER_ROLE, ROLE_LABEL

REPO = Path(__file__).resolve().parents[2]


def _checks(directory: Path) -> list[tuple[str, bool]]:
    verdict = json.loads((directory / "verdict.json").read_text())
    return [(result["check_id"], result["passed"]) for result in verdict["results"]]


def _workers(engine, stack: str) -> list:
    return [c for c in labeled_containers(engine, stack) if (c.labels or {}).get(ROLE_LABEL) == LOAD_WORKER_ROLE]


DOCKER_WORKERS = ("--workers", "2", "--workers-on", "docker")


@pytest.mark.alone  # the smoke scenario must pass its p95 bound, with Locust workers sharing the machine's CPU
def test_workers_in_containers_judge_like_one_process(cli, engine, project, stack_name, remove_stacks):
    from envsim.journal import Journal

    remove_stacks.append(stack_name)
    scenario = project / "scenarios" / "smoke.yaml"
    shutil.copy(REPO / "scenarios" / "smoke.yaml", scenario)
    common = ("--name", stack_name, "--duration", "8s")

    one = cli.run("run", str(scenario), *common, "--keep", "--reports", "one")
    assert one.returncode == 0, one.stdout + one.stderr
    two = cli.run("run", str(scenario), *common, "--no-up", *DOCKER_WORKERS, "--reports", "two")
    assert two.returncode == 0, two.stdout + two.stderr
    assert _checks(project / "two") == _checks(project / "one") and len(_checks(project / "one")) == 4
    journal = Journal.read(project / "two" / "journal.json")
    assert {s.worker for s in journal.worker_seconds} == {"worker-1", "worker-2"}
    assert sum(s.requests for s in journal.worker_seconds) > 0 and journal.worker_losses == ()
    assert all(s.cpu is not None for s in journal.worker_seconds)  # each worker's own reading
    # the saturation guard reads the containers' processes from this machine too
    assert {role for sample in journal.generator for role, *_ in sample.processes} == {"master", "worker-1", "worker-2"}
    assert _workers(engine, stack_name) == []  # removed when the load ended

    down = cli.run("down", stack_name)
    assert down.returncode == 0, down.stdout + down.stderr
    assert labeled_containers(engine, stack_name) == []


# Judges nothing by time or rate (a lost worker is inconclusive however busy the machine is),
# so it runs beside other tests.
def test_a_killed_worker_container_is_inconclusive_and_none_is_left_after_a_run_or_an_interrupt(
    cli, engine, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    scenario = project / "scenarios" / "smoke.yaml"
    shutil.copy(REPO / "scenarios" / "smoke.yaml", scenario)
    up = cli.run("up", "prod-like", "--name", stack_name)
    assert up.returncode == 0, up.stdout + up.stderr

    run = cli.start("run", str(scenario), "--name", stack_name, "--duration", "20s", "--no-up", *DOCKER_WORKERS)
    worker = wait_for(
        lambda: next((c for c in _workers(engine, stack_name) if c.name.endswith("worker-2")), None),
        timeout=90,
        what="the container of worker-2",
    )
    time.sleep(8)  # load under way: the loss must come well before the load ends
    worker.kill()
    out, err = run.communicate(timeout=120)
    assert run.returncode == 4, out + err
    assert "Traceback" not in err
    assert "verdict: INCONCLUSIVE" in out and "Locust worker worker-2 was lost" in out
    assert _workers(engine, stack_name) == []

    # interrupted mid-run, the run removes its workers on the way out too
    run = cli.start("run", str(scenario), "--name", stack_name, "--duration", "25s", "--no-up", *DOCKER_WORKERS)
    wait_for(lambda: len(_workers(engine, stack_name)) == 2, timeout=90, what="both worker containers")
    time.sleep(3)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, out + err
    assert _workers(engine, stack_name) == []

    down = cli.run("down", stack_name)
    assert down.returncode == 0, down.stdout + down.stderr
    assert labeled_containers(engine, stack_name) == []
