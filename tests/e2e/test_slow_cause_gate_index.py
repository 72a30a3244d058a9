"""A query without a usable index is caught with its cause named in the terminal: the release
gate's lookup by e-mail (examples/gate, 500,000 customers) fails its p95 on the buggy build,
and the output shows the endpoint, the statement as PostgreSQL normalised it, and its plan, a
sequential scan of customers filtered on lower(email); the fixed build passes. The stack is the
gate's api and database only (no stubs), so the test measures the database and nothing else.
Both builds' stacks come up at once (seeding their tables side by side), then each scenario
runs on its own stack in turn.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree

import pytest
from e2e_support import NOTHING_LEFT, at_once, leftovers

pytestmark = pytest.mark.alone  # the fixed build must hold a 150 ms p95 on a 500,000-row table

PROFILE = """
envsim: 1
name: slow-{variant}
services:
  api:
    build: {{context: ../examples/gate, dockerfile: Dockerfile, args: {{BASE: "python:3.11-slim"}}}}
    env:
      GATE_FIXED: "{fixed}"
      DATABASE_URL: "postgresql://app:${{secret.db_password}}@db:5432/gate"
      REDIS_URL: "redis://cache:6379/0"
      PORT: "8000"
    ports: {{http: 8000}}
    publish: [http]
    health: {{http: /healthz, interval: 1s, timeout: 3s, start_period: 60s}}
    depends_on: [db, cache]
  db:
    image: postgres:15
    env: {{POSTGRES_USER: app, POSTGRES_PASSWORD: "${{secret.db_password}}", POSTGRES_DB: gate}}
    ports: {{pg: 5432}}
    health: {{cmd: [pg_isready, -h, 127.0.0.1, -U, app, -d, gate], interval: 1s, start_period: 90s}}
    seed:
      - sql: ../examples/gate/seeds/schema.sql
      - rows: {{table: customers, count: 500000, columns: {{email: {{text: {{length: 24}}}}, name: {{text: {{length: 12}}}}}}}}
  cache: {{image: "redis:7", ports: {{redis: 6379}}, health: {{tcp: redis}}}}
credentials:
  db_password: {{generate: password}}
"""
SCENARIO = """
envsim: 1
profile: slow-{variant}
load:
  target: api
  users: 6
  spawn_rate: 6
  duration: 12s
  wait: [50ms, 150ms]
  tasks:
    - name: index-lookup
      request: "GET /customers?email=user${{var.n}}@example.com"
      vars: {{n: {{int: [1, 100]}}}}
      expect: [200]
    - {{name: health, weight: 1, request: "GET /healthz"}}
checks:
  - {{metric: p95, endpoint: index-lookup, below: 150ms}}
reports: {{dir: ../reports/{variant}}}
"""


def _runs(cli, engine, project, stacks: dict[str, str]) -> dict:
    """Both stacks up at once, then each variant's scenario on its stack, which is removed
    before the next load (an idle database beside it may still vacuum its fresh table); {variant:
    the run's CompletedProcess}."""
    for variant in stacks:
        fixed = "1" if variant == "fixed" else "0"
        (project / "profiles" / f"slow-{variant}.yaml").write_text(PROFILE.format(variant=variant, fixed=fixed))
        (project / "scenarios" / f"slow-{variant}.yaml").write_text(SCENARIO.format(variant=variant))
    ups = at_once(cli, *(("up", f"slow-{v}", "--name", stack, "--no-pull") for v, stack in stacks.items()), timeout=900)
    for code, output in ups:
        assert code == 0, output
    done = {}
    for variant, stack in stacks.items():
        done[variant] = cli.run("run", f"scenarios/slow-{variant}.yaml", "--name", stack, "--no-up", timeout=300)
        assert "Traceback" not in done[variant].stderr, done[variant].stderr[-3000:]
        down = cli.run("down", f"slow-{variant}", "--name", stack)
        assert down.returncode == 0, down.stdout + down.stderr
        assert leftovers(engine, stack) == NOTHING_LEFT
    return done


def test_a_missing_index_is_named_in_the_terminal_and_the_fixed_build_passes(
    cli, engine, project, stack_name, remove_stacks
):
    stacks = {"buggy": f"{stack_name}-buggy", "fixed": f"{stack_name}-fixed"}
    remove_stacks.extend(stacks.values())

    runs = _runs(cli, engine, project, stacks)
    buggy = runs["buggy"]
    out = buggy.stdout
    assert buggy.returncode == 1, out[-3000:] + buggy.stderr[-3000:]
    assert "why p95 of index-lookup < 150ms was slow:" in out, out[-3000:]
    # both endpoints, slowest first (health checks queue behind the lookups: either may be slower)
    lines = out.splitlines()
    table = next(i for i, line in enumerate(lines) if "slowest first:" in line) + 2
    rows = [lines[table].split(), lines[table + 1].split()]
    assert sorted(row[-1] for row in rows) == ["health", "index-lookup"], out[-3000:]
    assert int(rows[0][0].removesuffix("ms")) >= int(rows[1][0].removesuffix("ms")), out[-3000:]
    assert "db: slowest statements while the load ran (pg_stat_statements):" in out, out[-3000:]
    assert "FROM customers WHERE lower(email) = lower($1)" in out, out[-3000:]
    assert "Seq Scan on customers" in out and "Filter: (lower(email) = lower($1))" in out, out[-3000:]
    assert "@example.com" not in out.split("was slow:", 1)[1]  # no literal value in the evidence

    reports = project / "reports" / "buggy"
    journal = json.loads((reports / "journal.json").read_text("utf-8"))
    (statements,) = journal["extra"]["slow_statements"]
    assert statements["service"] == "db" and any("Seq Scan on customers" in line for line in statements["plan"])
    assert "Seq Scan on customers" in (reports / "summary.md").read_text("utf-8")
    assert "Seq Scan on customers" in (reports / "report.html").read_text("utf-8")
    failure = ElementTree.parse(reports / "junit.xml").getroot().find(".//failure")
    assert failure is not None and "Seq Scan on customers" in (failure.text or "")

    fixed = runs["fixed"]
    assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr[-3000:]
    assert "was slow" not in fixed.stdout
