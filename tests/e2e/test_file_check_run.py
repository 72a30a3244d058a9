"""`file` checks on a live stack: a path that is there (or not, as asked) passes the run, one
that is not as asked fails it with exit 1, and the journal and the terminal name it by its label."""

from __future__ import annotations

import json

import pytest
from e2e_support import NOTHING_LEFT, leftovers, ok_web_profile

# web, and a PostgreSQL whose data directory the docs' example check looks for
PROFILE = ok_web_profile(
    "filecheck",
    """  db:
    image: postgres:15
    env: {POSTGRES_USER: app, POSTGRES_PASSWORD: "${secret.db_password}", POSTGRES_DB: app}
    ports: {pg: 5432}
    health: {cmd: [pg_isready, -h, 127.0.0.1, -U, app, -d, app], interval: 1s, start_period: 90s}
credentials:
  db_password: {generate: password}
""",
)
# Docker bind-mounts /etc/hostname into every container; nothing makes the marker
THERE = "/etc/hostname"
NEVER = "/var/lib/app/migrated-v999"
PG_VERSION = "/var/lib/postgresql/data/PG_VERSION"


def _scenario(name: str, checks: str) -> str:
    return f"""envsim: 1
profile: filecheck
load:
  target: web
  users: 1
  spawn_rate: 1
  duration: 3s
  wait: [100ms, 200ms]
  tasks: [{{name: get, request: "GET /"}}]
checks:
{checks}
reports: {{dir: ../out-{name}}}
"""


HOLDS = _scenario(
    "holds",
    f"  - {{file: {{service: web, path: {THERE}}}, present: true}}\n"
    f"  - {{file: {{service: web, path: {NEVER}}}, present: false}}\n"
    f"  - {{file: {{service: db, path: {PG_VERSION}}}, present: true}}\n",
)
FAILS = _scenario(
    "fails",
    f"  - {{file: {{service: web, path: {NEVER}}}}}\n  - {{file: {{service: web, path: {THERE}}}, present: false}}\n",
)


@pytest.fixture
def file_checks(project):
    (project / "profiles" / "filecheck.yaml").write_text(PROFILE)
    (project / "scenarios" / "holds.yaml").write_text(HOLDS)
    (project / "scenarios" / "fails.yaml").write_text(FAILS)
    return project


def _results(project, name: str) -> tuple[list[dict], dict[str, bool]]:
    """The journal's check records, and each check's label -> passed from the verdict."""
    journal = json.loads((project / f"out-{name}" / "journal.json").read_text())
    verdict = json.loads((project / f"out-{name}" / "verdict.json").read_text())
    return journal["checks"], {r["label"]: r["passed"] for r in verdict["results"]}


def test_file_checks_pass_and_fail_on_a_live_container(engine, cli, file_checks, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    up = cli.run("up", "filecheck", "--name", stack_name)
    assert up.returncode == 0, up.stderr[-2000:]

    holds = cli.run("run", "scenarios/holds.yaml", "--name", stack_name, "--no-up")
    assert holds.returncode == 0, holds.stdout[-3000:] + holds.stderr[-3000:]
    records, passed = _results(file_checks, "holds")
    assert [(r["kind"], r["label"]) for r in records] == [
        ("file", f"file {THERE} on web present"),
        ("file", f"file {NEVER} on web absent"),
        ("file", f"file {PG_VERSION} on db present"),
    ]
    assert set(passed.values()) == {True} and len(passed) == 3

    fails = cli.run("run", "scenarios/fails.yaml", "--name", stack_name, "--no-up")
    assert fails.returncode == 1, fails.stdout[-3000:] + fails.stderr[-3000:]
    assert "Traceback" not in fails.stderr
    records, passed = _results(file_checks, "fails")
    assert [r["label"] for r in records] == [f"file {NEVER} on web present", f"file {THERE} on web absent"]
    assert passed == {f"file {NEVER} on web present": False, f"file {THERE} on web absent": False}
    failed_rows = [line for line in fails.stdout.splitlines() if line.startswith("FAIL")]
    assert any(f"file {NEVER} on web present" in row and f"{NEVER} does not exist" in row for row in failed_rows)
    assert any(f"file {THERE} on web absent" in row and f"{THERE} exists" in row for row in failed_rows)

    assert cli.run("down", "filecheck", "--name", stack_name).returncode == 0
    assert leftovers(engine, stack_name) == NOTHING_LEFT
