"""Declarative flows against a real Locust child and the local target server: variables,
captures, cookies per user, CSV rows, sequences and their per-step names."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
from run_support.target_server import TargetServer

from envsim.config import load_scenario
from envsim.journal import ALL_ENDPOINTS
from envsim.run.load_with_faults import run_load

pytestmark = [pytest.mark.timeout(90), pytest.mark.docker_free]

PROFILE = """
envsim: 1
services:
  api:
    image: app:1
    ports: {http: 8000}
    publish: [http]
"""

SCENARIO = """
envsim: 1
profile: ../profiles/p.yaml
load:
  users: 3
  spawn_rate: 50
  duration: 4s
  wait: 20ms
  vars:
    uid: {uuid: true}
    n: {counter: 1}
    account: {csv: ../data/users.csv}
  tasks:
    - name: shop
      weight: 3
      steps:
        - name: login
          request: POST /login
          json: {user: "${var.email}", uid: "${var.uid}", n: "${var.n}"}
          capture: {token: json.token, item: json.items.0.id, session: header.X-Session}
        - name: add
          request: "POST /cart/${var.item}"
          headers: {Authorization: "Bearer ${var.token}", X-Session: "${var.session}"}
        - name: view
          request: GET /me
          headers: {Authorization: "Bearer ${var.token}", X-Session: "${var.session}"}
    - name: broken
      steps:
        - {name: fails, request: GET /status/500}
        - {name: never, request: GET /fast}
"""


def scenario(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    for name, text in (
        ("profiles/p.yaml", PROFILE),
        ("scenarios/s.yaml", SCENARIO),
        ("data/users.csv", "email,plan\nann@x.io,gold\nbob@x.io,free\ncid@x.io,free\n"),
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return load_scenario(tmp_path / "scenarios/s.yaml", {})


def total(series, endpoint, field="requests"):
    return sum(getattr(p, field) for p in series if p.endpoint == endpoint)


def test_a_login_flow_runs_per_user(tmp_path):
    load = scenario(tmp_path).load
    with TargetServer() as server:
        result = run_load(load, server.url)
    assert result.error is None and not result.interrupted

    # each step is counted under its own name, and named in the journal's endpoints
    series = result.series
    assert {p.endpoint for p in series} == {ALL_ENDPOINTS, "login", "add", "view", "fails"}
    assert dict(result.endpoints) == {
        "login": "POST /login",
        "add": "POST /cart/${var.item}",
        "view": "GET /me",
        "fails": "GET /status/500",
        "never": "GET /fast",
    }
    for step in ("login", "add", "view"):
        assert total(series, step) > 5 and total(series, step, "failures") == 0, step
    # a failed step ends its sequence: the step after it is never sent
    assert total(series, "fails") == total(series, "fails", "failures") > 0
    assert server.hits["fast"] == 0

    logins = [body for path, _, body in server.flow_log if path == "/login"]
    # unique ids, counters and CSV rows: one of each per user, kept for the user's life
    assert len({b["uid"] for b in logins}) == 3
    assert {b["n"] for b in logins} == {1, 2, 3}  # a whole-value variable keeps its type
    assert {b["user"] for b in logins} == {"ann@x.io", "bob@x.io", "cid@x.io"}
    assert len({(b["uid"], b["user"], b["n"]) for b in logins}) == 3

    # capture -> reuse: /cart/ID got the item id the same login answered; /me needed the token,
    # the X-Session header and the cookie of that login (else 401, a failure of 'view')
    for user in ("ann@x.io", "bob@x.io", "cid@x.io"):
        paths = [path for path, who, _ in server.flow_log if who == user]
        assert paths[0] == "/login" and len(paths) >= 3
        for index in range(0, len(paths) - 2, 3):  # in order: login, add, view
            assert paths[index] == "/login" and int(paths[index + 1].split("/")[2]) > 1000 and paths[index + 2] == "/me"
    assert sum(1 for path, who, _ in server.flow_log if path == "/me" and who) == total(series, "view")


def test_cookies_are_kept_per_user(tmp_path):
    """Two users log in once, then only ask /me with their own token: a shared cookie jar would
    send the other user's cookie and get 401."""
    load = scenario(tmp_path).load
    shop = load.tasks[0]
    login, _, view = shop.steps
    once = dataclasses.replace(shop, steps=(login,))
    load = dataclasses.replace(load, users=2, duration=3, tasks=(dataclasses.replace(view, weight=20), once))
    with TargetServer() as server:
        result = run_load(load, server.url)
    users = {who for path, who, _ in server.flow_log if path == "/me" and who}
    assert users == {"ann@x.io", "bob@x.io"}
    me_failures = total(result.series, "view", "failures")
    me_requests = total(result.series, "view")
    # before a user's first login its /me is not sent (no token yet): a failure of 'view' all the same
    assert sum(1 for path, _, _ in server.flow_log if path == "/me") <= me_requests
    sent_401 = sum(1 for path, who, _ in server.flow_log if path == "/me" and not who)
    assert sent_401 == 0, "a user sent another user's cookie"
    assert me_requests - me_failures > 10
