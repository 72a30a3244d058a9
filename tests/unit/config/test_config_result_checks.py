"""Result checks: http JSON conditions, redis and exec probes, and checks that do not fit their service."""

from __future__ import annotations

import pytest
from config_helpers import scenario_messages, write

from envsim.config import load_scenario
from envsim.config.check_kinds import CommandInvariant, HttpInvariant, RedisInvariant
from envsim.config.expr import ExprError, evaluate, parse, paths

HEAD = """
envsim: 1
profile: prod-like
load:
  duration: 1m
  tasks:
    - {name: buy, request: "POST /orders"}
checks:
"""


def test_an_sql_check_on_a_redis_service_is_rejected_at_validate(repo):
    # seen: this passed validate and failed at run time with "psql: not found"
    assert scenario_messages(repo, HEAD + '  - sql: {service: cache, query: "select 1"}\n    equals: 1\n') == [
        "scenarios/s.yaml:8:20: checks[0].sql.service: an sql check runs psql inside the service's container, "
        "but 'cache' is Redis (image redis:7), not a PostgreSQL database"
    ]


def test_a_redis_check_on_a_database_or_a_stub_is_rejected(repo):
    text = HEAD + (
        "  - {redis: {service: db, command: [GET, sold]}, equals: 1}\n"
        "  - {redis: {service: payments, command: [GET, sold]}, equals: 1}\n"
    )
    assert scenario_messages(repo, text) == [
        "scenarios/s.yaml:8:23: checks[0].redis.service: a redis check runs redis-cli inside the service's container, "
        "but 'db' is PostgreSQL (image postgres:15), not Redis",
        "scenarios/s.yaml:9:23: checks[1].redis.service: a redis check runs redis-cli inside the service's container, "
        "but 'payments' is a stub (an HTTP API), not Redis",
    ]


def test_the_kind_of_a_built_service_comes_from_its_dockerfile(repo):
    write(repo, "pg/Dockerfile", "ARG BASE=postgres:16\nFROM ${BASE} AS db\nRUN true\n")
    write(
        repo,
        "profiles/built.yaml",
        """
    envsim: 1
    services:
      api: {image: "app:1", ports: {http: 8000}, publish: [http]}
      db: {build: ../pg, ports: {pg: 5432}}
    """,
    )
    text = HEAD.replace("prod-like", "built").replace("duration: 1m", "duration: 1m\n  users: 1") + (
        '  - sql: {service: db, query: "select 1"}\n    equals: 1\n'
        "  - {redis: {service: db, command: [DBSIZE]}, equals: 0}\n"
    )
    assert [m.split(": ", 2)[1] for m in scenario_messages(repo, text)] == ["checks[1].redis.service"]


def test_valid_result_checks_build_the_model(repo):
    path = write(
        repo,
        "scenarios/s.yaml",
        HEAD
        + """
      - http: {service: api, request: "GET /stats"}
        expect: "sold + stock == 100 and sold <= 100"
      - redis: {service: cache, command: [scard, sessions]}
        at_most: {successes: buy}
      - exec: {service: db, cmd: [pg_isready, -q]}
      - exec: {service: db, cmd: [sh, -c, "ls /tmp | wc -l"]}
        exit: any
        below: 10
        tolerance: 1
    """.replace("\n    ", "\n"),
    )
    checks = load_scenario(path, {}).checks
    assert checks[0] == HttpInvariant(
        "api",
        "GET",
        "/stats",
        None,
        200,
        "GET /stats on api -> 200, sold + stock == 100 and sold <= 100",
        expect="sold + stock == 100 and sold <= 100",
    )
    assert checks[1] == RedisInvariant(
        "cache",
        ("SCARD", "sessions"),
        "at_most",
        None,
        ("successes", "buy"),
        0.0,
        "redis SCARD sessions on cache <= successes of buy",
    )
    assert checks[2] == CommandInvariant("db", ("pg_isready", "-q"), 0, None, label="pg_isready -q on db exits 0")
    assert checks[3] == CommandInvariant(
        "db",
        ("sh", "-c", "ls /tmp | wc -l"),
        None,
        "below",
        10.0,
        None,
        1.0,
        "sh -c ls /tmp | wc -l on db output < 10 ± 1",
    )


def test_result_check_mistakes_are_located(repo):
    text = (
        HEAD
        + """
  - http: {service: api, request: "GET /stats"}
    expect: "sold = 100"
  - http: {service: api, request: "GET /stats"}
    expect: sold + 1
  - {redis: {service: cache, command: [SET, sold, "1"]}, equals: 1}
  - {redis: {service: cache, command: [GET, sold]}, equals: {successes: bye}}
  - {exec: {service: db, cmd: [pg_isready]}, exit: 0, below: 1, above: 0}
  - {exec: {service: db, cmd: "pg_isready -q"}}
  - {exec: {service: dbb, cmd: [pg_isready]}}
"""
    )
    assert scenario_messages(repo, text.replace("checks:\n\n", "checks:\n")) == [
        "scenarios/s.yaml:9:19: checks[0].expect: unexpected character '=' (use == to compare) (in 'sold = 100')",
        "scenarios/s.yaml:11:13: checks[1].expect: the expression is a number, not a condition: compare it, "
        "e.g. 'sold <= 100' (in 'sold + 1')",
        "scenarios/s.yaml:12:40: checks[2].redis.command[0]: unknown read command 'SET'; did you mean 'GET'? "
        "(redis checks only read)",
        "scenarios/s.yaml:13:73: checks[3].equals.successes: unknown task 'bye'; did you mean 'buy'?",
        "scenarios/s.yaml:14:65: checks[4].above: one comparator per check (below, above given)",
        "scenarios/s.yaml:15:31: checks[5].exec.cmd: expected a command as a list such as [python, -m, app] "
        "(never a shell string), got 'pg_isready -q'",
        "scenarios/s.yaml:16:22: checks[6].exec.service: unknown service 'dbb'; did you mean 'db'?",
    ]


@pytest.mark.parametrize(
    "text, values, expected",
    [
        ("sold <= 100", {"sold": 100}, True),
        ("sold <= 100", {"sold": 101}, False),
        ("sold + stock == 100", {"sold": 40, "stock": 60}, True),
        ("sold + stock == 100", {"sold": 40.5, "stock": 60}, False),
        ("0 <= stock.A1 <= 10 and not (closed == true)", {"stock.A1": 3, "closed": False}, True),
        ("items.0.qty * 2 - 1 > 5 or ok", {"items.0.qty": 2, "ok": True}, True),
        ("-a / 4 == -0.5", {"a": 2}, True),
    ],
)
def test_expressions_evaluate(text, values, expected):
    assert evaluate(parse(text), values) is expected


def test_expressions_name_the_fields_they_read_and_refuse_everything_else():
    assert paths(parse("sold + stock == 100 and sold >= 0")) == ("sold", "stock")
    for text, offset in [
        ("__import__('os')", 11),
        ("sold <=", 7),
        ("a.b()", 3),
        ("(a < 1", 6),
        ("a < 1 ;", 6),
        ("a[0] < 1", 1),
        ("", 0),
    ]:
        with pytest.raises(ExprError) as caught:
            parse(text)
        assert caught.value.offset == offset, text
    for text, values, message in [
        ("sold < 1", {}, "the answer has no field 'sold'"),
        ("sold < 1", {"sold": "many"}, "'sold' is 'many', not a number"),
        ("a / b > 1", {"a": 1, "b": 0}, "division by zero ('b' is 0)"),
        ("ok", {"ok": 1}, "the expression gave 1, not true or false"),
    ]:
        with pytest.raises(ExprError, match=message.replace("(", r"\(").replace(")", r"\)")):
            evaluate(parse(text), values)
