"""Declarative flows in scenario files: load variables, captures, sequences (parsing and validate)."""

from __future__ import annotations

from config_helpers import MINIMAL_PROFILE, scenario_messages, write

from envsim.config import load_scenario
from envsim.config.scenario_model import LoadVar
from envsim.config.template import Template, VarRef

FLOW = """
envsim: 1
profile: ../profiles/p.yaml
load:
  users: 2
  duration: 10s
  vars:
    user: {uuid: true}
    n: {counter: 100}
    account: {csv: ../data/users.csv}
  tasks:
    - name: shop
      vars:
        sku: {int: [1, 9]}
        color: {choice: [red, blue]}
      steps:
        - name: login
          request: POST /login
          json: {email: "${var.email}", id: "${var.user}"}
          capture: {token: json.token, session: header.X-Session}
        - name: add
          request: "POST /cart/${var.sku}"
          headers: {Authorization: "Bearer ${var.token}"}
          json: {qty: "${var.n}", color: "c-${var.color}"}
        - name: view
          request: GET /cart
checks:
  - {metric: error_rate, endpoint: login, below: 1%}
  - {metric: p95, endpoint: add, below: 1s}
"""


def setup(repo, text=FLOW, csv="email,password\na@x.io,pw1\nb@x.io,pw2\n"):
    write(repo, "profiles/p.yaml", MINIMAL_PROFILE)
    if csv is not None:
        write(repo, "data/users.csv", csv)
    return write(repo, "scenarios/s.yaml", text)


def test_a_flow_is_built_into_the_model(repo):
    load = load_scenario(setup(repo), {}).load
    assert load.vars[:2] == (LoadVar("user", "uuid"), LoadVar("n", "counter", (100,)))
    account = load.vars[2]
    assert account.kind == "csv" and account.path == (repo / "data/users.csv").resolve()
    assert account.args == (("email", "password"), (("a@x.io", "pw1"), ("b@x.io", "pw2")))
    (shop,) = load.tasks
    assert shop.vars == (LoadVar("sku", "int", (1, 9)), LoadVar("color", "choice", ("red", "blue")))
    login, add, view = shop.steps
    assert [t.name for t in load.requests] == ["login", "add", "view"]
    assert login.capture == (("token", "json.token"), ("session", "header.X-Session"))
    assert login.json == {"email": "${var.email}", "id": "${var.user}"}
    assert login.json_templates == ((("email",), Template((VarRef("email"),))), (("id",), Template((VarRef("user"),))))
    assert (add.method, add.path, add.path_template) == (
        "POST",
        "/cart/${var.sku}",
        Template(("/cart/", VarRef("sku"))),
    )
    assert dict(add.headers)["Authorization"] == Template(("Bearer ", VarRef("token")))
    assert add.json_templates[1] == (("color",), Template(("c-", VarRef("color"))))
    assert (view.path, view.path_template, view.capture) == ("/cart", None, ())


def test_a_flow_validates(repo):
    setup(repo)
    assert scenario_messages(repo, (repo / "scenarios/s.yaml").read_text()) == []


def test_unknown_variables_are_reported_where_they_are_used(repo):
    text = FLOW.replace('"Bearer ${var.token}"', '"Bearer ${var.tokn}"').replace(
        "GET /cart\n", "GET /cart/${var.nope}\n"
    )
    messages = scenario_messages(repo, setup(repo, text).read_text())
    assert messages == [
        "scenarios/s.yaml:22:36: load.tasks[0].steps[1].headers.Authorization: unknown variable 'tokn': "
        "not declared under vars nor captured earlier; did you mean 'token'?",
        "scenarios/s.yaml:25:20: load.tasks[0].steps[2].request: unknown variable 'nope': "
        "not declared under vars nor captured earlier",
    ]


def test_a_capture_counts_only_for_later_steps_and_other_tasks(repo):
    text = """
envsim: 1
profile: ../profiles/p.yaml
load:
  users: 1
  duration: 10s
  tasks:
    - name: flow
      steps:
        - {name: me, request: "GET /me/${var.token}"}
        - {name: login, request: POST /login, capture: {token: json.token}}
    - {name: other, request: "GET /x/${var.token}"}
    - {name: self, request: "GET /y/${var.own}", capture: {own: json.id}}
"""
    messages = scenario_messages(repo, setup(repo, text).read_text())
    assert messages == [
        "scenarios/s.yaml:9:31: load.tasks[0].steps[0].request: unknown variable 'token': "
        "not declared under vars nor captured earlier",
        "scenarios/s.yaml:12:29: load.tasks[2].request: unknown variable 'own': not declared under vars nor captured earlier",
    ]


def test_vars_outside_requests_and_bad_declarations(repo):
    text = """
envsim: 1
profile: ../profiles/p.yaml
load:
  users: 1
  duration: 10s
  vars:
    a: {int: [5, 1]}
    b: {uuid: true, counter: 1}
    c: {csv: ../../outside.csv}
    d: {csv: ../data/missing.csv}
    e: {csv: ../data/users.csv}
  tasks:
    - {name: t, request: GET /x, capture: {x: body.token}}
    - {name: u, steps: [{name: v, request: GET /v}], json: {a: 1}}
    - {name: w}
checks:
  - {metric: p95, endpoint: "${var.a}", below: 1s}
"""
    messages = scenario_messages(repo, setup(repo, text, csv="e-mail\nx\n").read_text())
    assert messages == [
        "scenarios/s.yaml:7:14: load.vars.a.int: the range is empty: 5 > 1",
        "scenarios/s.yaml:8:8: load.vars.b: takes at most 1 entry",
        "scenarios/s.yaml:9:14: load.vars.c.csv: path '../../outside.csv' leads outside the repo",
        "scenarios/s.yaml:10:14: load.vars.d.csv: file not found: '../data/missing.csv'",
        "scenarios/s.yaml:11:14: load.vars.e.csv: column 'e-mail' of '../data/users.csv' is not a variable name "
        "(letters, digits and '_')",
        "scenarios/s.yaml:13:47: load.tasks[0].capture.x: expected json.FIELD (a dotted path such as json.items.0.id) "
        "or header.NAME, got 'body.token'",
        "scenarios/s.yaml:14:54: load.tasks[1].json: 'json' cannot be combined with 'steps'",
        "scenarios/s.yaml:15:7: load.tasks[2]: needs exactly one of: request, steps",
        "scenarios/s.yaml:17:29: checks[0].endpoint: '${var.a}' is not allowed here: load variables may be used "
        "in a task's request, headers and json",
        "scenarios/s.yaml:17:29: checks[0].endpoint: unknown task '${var.a}'",
    ]


def test_step_names_share_the_task_namespace(repo):
    text = """
envsim: 1
profile: ../profiles/p.yaml
load:
  users: 1
  duration: 10s
  tasks:
    - {name: login, request: GET /a}
    - name: flow
      steps: [{name: login, request: GET /b}]
checks:
  - {metric: p95, endpoint: flow, below: 1s}
"""
    messages = scenario_messages(repo, setup(repo, text).read_text())
    assert (
        messages[0] == "scenarios/s.yaml:9:22: load.tasks[1].steps[0].name: duplicate task name 'login' (also task 1)"
    )
    assert messages[1].startswith("scenarios/s.yaml:11:29: checks[0].endpoint: unknown task 'flow'")


def test_the_worked_example_in_the_format_doc_validates(repo):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "format.md").read_text()
    section = doc[doc.index("### Declarative flows") :]
    example = re.findall(r"```yaml\n(.*?)```", section, re.S)[0]
    setup(repo, csv="email,password\na@x.io,pw\n")
    path = write(repo, "scenarios/flow.yaml", "envsim: 1\nprofile: ../profiles/p.yaml\n" + example)
    from config_helpers import messages

    assert messages([path]) == []
    (shopping,) = load_scenario(path, {}).load.tasks
    assert [step.name for step in shopping.steps] == ["login", "add", "view"]


def test_allow_worker_loss_is_read_and_a_wrong_value_is_located(repo):
    text = """
envsim: 1
profile: ../profiles/p.yaml
load:
  users: 2
  duration: 10s
  workers: 2
  allow_worker_loss: %s
  tasks:
    - {name: browse, request: GET /}
"""
    assert load_scenario(setup(repo, text % "true", csv=None), {}).load.allow_worker_loss is True
    assert load_scenario(setup(repo, text % "false", csv=None), {}).load.allow_worker_loss is False
    messages = scenario_messages(repo, text % "sometimes")
    assert len(messages) == 1
    assert messages[0].startswith("scenarios/s.yaml:7:22: load.allow_worker_loss: ")
