import json
from pathlib import Path

import pytest

from envsim.config.scenario_model import LoadSpec, LoadStage, LoadTask
from envsim.config.template import SecretRef, Template
from envsim.errors import InputError
from envsim.run.child_config import child_config


def spec(**kw):
    base = dict(users=10, spawn_rate=5, duration=30)
    base.update(kw)
    return LoadSpec(**base)


def test_declarative_tasks_with_rendered_secret_headers():
    task = LoadTask(
        "checkout",
        "post",
        "/orders",
        2,
        json={"sku": "A1"},
        headers=(("Authorization", Template(("Bearer ", SecretRef("token")))),),
        expect_status=(201,),
    )
    config = child_config(spec(tasks=(task,), wait=(0.1, 0.5)), "http://127.0.0.1:8000/", {"token": "s3cr3t"})
    assert config["host"] == "http://127.0.0.1:8000"
    assert config["tasks"] == [
        {
            "name": "checkout",
            "method": "POST",
            "path": "/orders",
            "weight": 2,
            "json": {"sku": "A1"},
            "headers": {"Authorization": "Bearer s3cr3t"},
            "expect_status": [201],
        }
    ]
    assert config["wait"] == [0.1, 0.5]
    json.dumps(config)  # goes to the child as JSON


def test_unknown_secret_is_an_input_error_without_values():
    task = LoadTask("t", "GET", "/", headers=(("X", Template((SecretRef("nope"),))),))
    with pytest.raises(InputError, match="unknown secret 'nope'"):
        child_config(spec(tasks=(task,)), "http://x", {"other": "value"})


def test_locustfile_stages_and_workers_pass_through():
    config = child_config(
        spec(locustfile=Path("/repo/load/shop.py"), stages=(LoadStage(5, 2, 1), LoadStage(5, 4, 2)), workers=2),
        "http://x",
        {},
    )
    assert config["locustfile"] == "/repo/load/shop.py"
    assert config["stages"] == [[5, 2, 1], [5, 4, 2]]
    assert config["workers"] == 2


def test_run_length_falls_back_to_the_stages():
    assert spec(duration=30, stages=(LoadStage(5, 2, 1),)).run_length == 30
    assert spec(duration=0, stages=(LoadStage(5, 2, 1), LoadStage(7, 2, 1))).run_length == 12
