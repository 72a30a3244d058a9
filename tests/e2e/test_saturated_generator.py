"""The saturation guard on a real stack: a generator pinned to one core and kept busy on every
request measures itself (exit 4, the generator named); the same scenario with think time passes."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from e2e_support import wait_for

from envsim.config.generator_cpus import machine_cpus

pytestmark = pytest.mark.alone  # the saturation guard measures the generator's own CPU: no neighbour may share it

# Client-side work on every request (as a request signer does) makes the generator the
# bottleneck; BUSY_THINK_TIME is the think time between a user's requests.
LOCUSTFILE = """
import hashlib
import os

from locust import FastHttpUser, constant, task


class Busy(FastHttpUser):
    wait_time = constant(float(os.environ.get("BUSY_THINK_TIME", "0")))

    @task
    def health(self):
        digest = b"request"
        for _ in range(20000):
            digest = hashlib.sha256(digest).digest()
        self.client.get("/healthz", name="health")
"""

SCENARIO = """
envsim: 1
profile: base
load:
  target: api
  users: 10
  spawn_rate: 10
  duration: 12s
  cpus: [{core}]
  locustfile: ../load/busy.py
checks:
  - {{metric: p95, below: 5s}}
  - {{metric: error_rate, below: 5%}}
reports: {{dir: ../out}}
"""


@pytest.mark.skipif(len(machine_cpus()) < 2, reason="pinning needs a core for the generator and one for the stack")
def test_a_saturated_generator_is_inconclusive_and_with_think_time_the_run_passes(
    cli, engine, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    generator_core, stack_cores = machine_cpus()[0], ",".join(map(str, machine_cpus()[1:]))
    (project / "load").mkdir()
    (project / "load" / "busy.py").write_text(LOCUSTFILE, encoding="utf-8")
    scenario = project / "scenarios" / "busy.yaml"
    scenario.write_text(SCENARIO.format(core=generator_core), encoding="utf-8")

    cli.env["BUSY_THINK_TIME"] = "0"
    busy = cli.start("run", str(scenario), "--name", stack_name, "--keep")
    api = f"envsim-{stack_name}-api-0"

    def api_pinned() -> bool:
        found = engine.containers.list(filters={"name": api})
        return bool(found) and found[0].attrs["HostConfig"]["CpusetCpus"] == stack_cores

    wait_for(api_pinned, timeout=240, interval=0.5, what="the api container on the stack's cores")
    out, err = busy.communicate(timeout=300)
    assert busy.returncode == 4, out + err
    assert "Traceback" not in err
    assert "verdict: INCONCLUSIVE (0/2 checks passed, 2 inconclusive)" in out
    assert "inconclusive: the load generator (locust, pid " in out
    assert "add think time, lower users, add workers, or run the load elsewhere" in out
    assert f"load generator: pinned to core {generator_core}, the stack to core" in out
    skipped = list(ElementTree.parse(project / "out" / "junit.xml").getroot().iter("skipped"))
    assert len(skipped) == 2 and "the load generator (locust, pid" in (skipped[0].get("message") or "")
    assert engine.containers.get(api).attrs["HostConfig"]["CpusetCpus"] != stack_cores  # given back

    cli.env["BUSY_THINK_TIME"] = "2"
    thinking = cli.run("run", str(scenario), "--name", stack_name, "--no-up")
    assert thinking.returncode == 0, thinking.stdout + thinking.stderr
    assert "verdict: PASSED (2/2 checks passed)" in thinking.stdout
