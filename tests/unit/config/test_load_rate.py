"""`load.rate`: task runs per second of the whole load, paced per user, exclusive with `wait`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from config_helpers import scenario_messages, write

from envsim.config.load_rate import per_second
from envsim.config.scenario_model import LoadSpec, LoadStage, LoadTask
from envsim.run.child_config import child_config

SCENARIO = """
envsim: 1
profile: prod-like
load:
  duration: 1m
  users: 10
  rate: {rate}
  tasks:
    - {{name: browse, request: "GET /products"}}
"""


def test_a_rate_is_read_as_task_runs_per_second_of_the_whole_load(repo):
    from envsim.api import load_scenario

    path = write(repo, "scenarios/s.yaml", SCENARIO.format(rate="50/s"))
    load = load_scenario(path).load
    assert load.rate == 50.0 and load.user_rate == 5.0
    assert child_config(load, "http://127.0.0.1:1", {})["user_rate"] == 5.0
    assert per_second("600/m") == 10.0 and per_second(" 600 / min ") == 10.0 and per_second("7200/h") == 2.0


@pytest.mark.parametrize("written", ["0/s", "50", '"50 per second"', "-5/s", "50/d"])
def test_a_bad_rate_is_a_located_error(repo, written):
    (message,) = scenario_messages(repo, SCENARIO.format(rate=written))
    assert message.startswith("scenarios/s.yaml:6:9: load.rate: expected a rate above zero such as 50/s or 600/m")


def test_a_rate_with_a_wait_is_a_located_error_and_with_a_locustfile_it_paces_its_users(repo):
    with_wait = SCENARIO.format(rate="50/s").replace("  rate:", "  wait: 1s\n  rate:")
    assert scenario_messages(repo, with_wait) == [
        "scenarios/s.yaml:6:3: load.wait: 'wait' cannot be combined with 'rate'"
    ]
    write(repo, "load/shop.py", "")
    with_file = SCENARIO.format(rate="50/s").split("  tasks:")[0] + "  locustfile: ../load/shop.py\n"
    assert scenario_messages(repo, with_file) == []


def test_the_documented_example_validates(repo):
    doc = (Path(__file__).resolve().parents[3] / "docs" / "format.md").read_text(encoding="utf-8")
    (example,) = [
        block for block in re.findall(r"```yaml\n(.*?)```", doc, re.S) if "# the whole load; not together" in block
    ]
    assert scenario_messages(repo, "envsim: 1\nprofile: prod-like\n" + example) == []


def test_without_a_rate_nothing_is_asked():
    load = LoadSpec(users=10, spawn_rate=10, duration=60)
    assert load.user_rate is None and load.requests_asked_at(30) == 0.0


def test_the_asked_rate_follows_the_users_asked_through_ramps_and_stages():
    stages = (LoadStage(10, 10, 1), LoadStage(10, 20, 10))
    load = LoadSpec(users=20, spawn_rate=1, duration=20, stages=stages, rate=40.0)
    assert load.user_rate == 2.0  # the rate is asked of the most users any stage asks for
    assert load.requests_asked_at(5) == 10.0  # 5 users ramped up of 10: 2 each
    assert load.requests_asked_at(9.5) == 18.0
    assert load.requests_asked_at(15) == 40.0


def test_a_sequence_counts_each_of_its_steps_as_a_request_asked():
    browse = LoadTask("browse", "GET", "/products", weight=3)
    buy = LoadTask("buy", "", "", weight=1, steps=(LoadTask("cart", "POST", "/cart"), LoadTask("pay", "POST", "/pay")))
    load = LoadSpec(users=4, spawn_rate=4, duration=10, tasks=(browse, buy), rate=8.0)
    assert load.requests_per_task_run == 1.25
    assert load.requests_asked_at(5) == 10.0
