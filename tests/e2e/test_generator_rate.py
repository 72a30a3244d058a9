"""`load.rate` on a real stack: a generator pinned to one core, with client-side work on every
request, cannot send the rate asked of a fast app (exit 4, the rate named); the same scenario
asking a rate it can send passes."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree

import pytest
from e2e_support import ok_web_profile

from envsim.config.generator_cpus import machine_cpus

pytestmark = pytest.mark.alone  # it measures what the generator could send: no neighbour may share its core

PROFILE = ok_web_profile("ratehttp")
# Client-side work on every request (as a request signer does): about 5 ms of CPU, so the pinned
# generator sends at most ~200 requests/s, half what the app (~400/s through Toxiproxy) answers.
LOCUSTFILE = """
import hashlib

from locust import FastHttpUser, constant, task


class Signing(FastHttpUser):
    wait_time = constant(5)  # the scenario's rate replaces it

    @task
    def get(self):
        digest = b"request"
        for _ in range(10000):
            digest = hashlib.sha256(digest).digest()
        self.client.get("/", name="get")
"""
SCENARIO = """envsim: 1
profile: ratehttp
load:
  target: web
  users: 20
  spawn_rate: 20
  duration: 8s
  rate: {rate}
  cpus: [{core}]
  locustfile: ../load/signing.py
checks:
  - {{metric: p95, below: 2s}}
  - {{metric: error_rate, below: 5%}}
reports: {{dir: ../out}}
"""


@pytest.mark.skipif(len(machine_cpus()) < 2, reason="pinning needs a core for the generator and one for the stack")
def test_a_rate_the_generator_cannot_send_is_inconclusive_and_one_it_can_send_passes(
    cli, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    core = machine_cpus()[0]
    (project / "profiles" / "ratehttp.yaml").write_text(PROFILE, encoding="utf-8")
    (project / "load").mkdir()
    (project / "load" / "signing.py").write_text(LOCUSTFILE, encoding="utf-8")
    scenario = project / "scenarios" / "rate.yaml"

    scenario.write_text(SCENARIO.format(rate="3000/s", core=core), encoding="utf-8")
    short = cli.run("run", str(scenario), "--name", stack_name, "--keep")
    assert short.returncode == 4, short.stdout + short.stderr + _seconds(project)
    assert "Traceback" not in short.stderr
    assert "verdict: INCONCLUSIVE (0/2 checks passed, 2 inconclusive)" in short.stdout
    assert "inconclusive: the load generator sent " in short.stdout
    assert " of the 3000 requests/s asked while " in short.stdout
    assert "lower load.rate, add workers, or run the load elsewhere" in short.stdout
    assert "rate asked up to 3000 requests/s, sent " in short.stdout
    skipped = list(ElementTree.parse(project / "out" / "junit.xml").getroot().iter("skipped"))
    assert len(skipped) == 2 and "of the 3000 requests/s asked" in (skipped[0].get("message") or "")

    scenario.write_text(SCENARIO.format(rate="10/s", core=core), encoding="utf-8")
    sent = cli.run("run", str(scenario), "--name", stack_name, "--no-up")
    assert sent.returncode == 0, sent.stdout + sent.stderr + _seconds(project)
    assert "verdict: PASSED (2/2 checks passed)" in sent.stdout
    # 20 users asked 10/s send together every 2 s: 9 to 11 a second on average over the run
    assert re.search(r"rate asked up to 10 requests/s, sent (9|10|11)/s on average", sent.stdout), sent.stdout


def _seconds(project) -> str:
    """Each second's generator sample and requests, to tell from a failure what was measured."""
    journal = json.loads((project / "out" / "journal.json").read_text(encoding="utf-8"))
    lines = [json.dumps(sample) for sample in journal["generator"]]
    for point in journal["series"]:
        if point["endpoint"] == "":
            ended = sum(count for _, count in point["response_times"]) or 1
            mean = sum(ms * count for ms, count in point["response_times"]) / ended
            lines.append(f"t={point['t']} started={point['started']} users={point['users']} mean={mean:.0f}ms")
    return "\n" + "\n".join(lines)
