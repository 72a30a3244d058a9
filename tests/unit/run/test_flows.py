"""Declarative flows in the load generator: drawing variables, rendering requests, captures."""

from __future__ import annotations

import random

import pytest

from envsim.config.scenario_model import LoadSpec, LoadTask, LoadVar
from envsim.config.template import SecretRef, Template, VarRef
from envsim.run.child_config import child_config
from envsim.run.locust_child.flows import CaptureFailed, MissingVariable, capture, draw, render_json, render_text

VARS = [
    {"name": "id", "kind": "uuid", "args": []},
    {"name": "n", "kind": "counter", "args": [10]},
    {"name": "sku", "kind": "int", "args": [3, 5]},
    {"name": "color", "kind": "choice", "args": ["red", "blue"]},
    {"name": "account", "kind": "csv", "args": [["email", "pw"], [["a@x", "1"], ["b@x", "2"]]]},
]


def test_draw_gives_each_index_its_own_values():
    first, second, third = (draw(VARS, i, random.Random(i)) for i in range(3))
    assert len({first["id"], second["id"], third["id"]}) == 3 and len(first["id"]) == 36
    assert [v["n"] for v in (first, second, third)] == [10, 11, 12]
    assert [(v["email"], v["pw"]) for v in (first, second, third)] == [("a@x", "1"), ("b@x", "2"), ("a@x", "1")]
    assert "account" not in first  # a CSV declares its columns
    draws = [draw(VARS, 0, random.Random(seed)) for seed in range(40)]
    assert {d["sku"] for d in draws} == {3, 4, 5} and {d["color"] for d in draws} == {"red", "blue"}


def test_render_text_and_json():
    values = {"token": "t1", "n": 7, "ok": True, "sku": 4}
    assert render_text("/plain", values) == "/plain"
    assert render_text(["Bearer ", {"var": "token"}], values) == "Bearer t1"
    assert render_text(["/items/", {"var": "n"}, "?ok=", {"var": "ok"}], values) == "/items/7?ok=true"
    body = {"qty": "${var.n}", "lines": [{"sku": "${var.sku}", "note": "n-${var.n}"}], "fixed": 1}
    templates = [
        [["qty"], [{"var": "n"}]],
        [["lines", 0, "sku"], [{"var": "sku"}]],
        [["lines", 0, "note"], ["n-", {"var": "n"}]],
    ]
    assert render_json(body, templates, values) == {"qty": 7, "lines": [{"sku": 4, "note": "n-7"}], "fixed": 1}
    assert body["qty"] == "${var.n}"  # the written body is left alone
    assert render_json("${var.token}", [[[], [{"var": "token"}]]], values) == "t1"
    with pytest.raises(MissingVariable, match="variable 'nope' has no value"):
        render_text(["/x/", {"var": "nope"}], values)


def test_capture_from_json_and_headers():
    body = {"token": "abc", "items": [{"id": 41}, {"id": 42}], "n": None}
    headers = {"X-Session": "s1"}
    assert capture("json.token", lambda: body, headers.get) == "abc"
    assert capture("json.items.1.id", lambda: body, headers.get) == 42
    assert capture("json.items.-1.id", lambda: body, headers.get) == 42
    assert capture("json.n", lambda: body, headers.get) is None
    assert capture("header.X-Session", lambda: body, headers.get) == "s1"
    for source, message in (
        ("json.items.2.id", "no '2'"),
        ("json.nope", "no 'nope'"),
        ("header.X-Other", "no header X-Other"),
    ):
        with pytest.raises(CaptureFailed, match=message):
            capture(source, lambda: body, headers.get)

    def not_json():
        raise ValueError("no")

    with pytest.raises(CaptureFailed, match="not JSON"):
        capture("json.token", not_json, headers.get)


def test_child_config_carries_flows_with_secrets_filled_in():
    login = LoadTask(
        "login",
        "POST",
        "/login",
        json={"email": "${var.email}", "n": 1},
        json_templates=((("email",), Template((VarRef("email"),))),),
        capture=(("token", "json.token"),),
    )
    add = LoadTask(
        "add",
        "POST",
        "/cart/${var.sku}",
        path_template=Template(("/cart/", VarRef("sku"))),
        headers=(
            ("Authorization", Template(("Bearer ", VarRef("token")))),
            ("X-Key", Template(("k-", SecretRef("key"), "-", VarRef("n")))),
        ),
    )
    flow = LoadTask("shop", "", "", weight=2, vars=(LoadVar("sku", "int", (1, 3)),), steps=(login, add))
    load = LoadSpec(
        users=1,
        spawn_rate=1,
        duration=5,
        tasks=(flow, LoadTask("plain", "GET", "/x")),
        vars=(LoadVar("n", "counter", (1,)), LoadVar("acct", "csv", (("email",), (("a@x",),)))),
    )
    config = child_config(load, "http://127.0.0.1:1/", {"key": "s3cret"})
    assert config["vars"] == [
        {"name": "n", "kind": "counter", "args": [1]},
        {"name": "acct", "kind": "csv", "args": [["email"], [["a@x"]]]},
    ]
    shop, plain = config["tasks"]
    assert (shop["name"], shop["weight"], shop["vars"]) == ("shop", 2, [{"name": "sku", "kind": "int", "args": [1, 3]}])
    first, second = shop["steps"]
    assert first["json_templates"] == [[["email"], [{"var": "email"}]]] and first["capture"] == [
        ["token", "json.token"]
    ]
    assert second["path"] == ["/cart/", {"var": "sku"}]
    assert second["headers"] == {"Authorization": ["Bearer ", {"var": "token"}], "X-Key": ["k-s3cret-", {"var": "n"}]}
    assert plain["path"] == "/x" and "capture" not in plain and "vars" not in plain
    assert [t.name for t in load.requests] == ["login", "add", "plain"]
