"""The `file` check as a user writes it: built, labelled, kept in a journal and read back, and
`envsim validate` on it (located problems, exit 2)."""

from __future__ import annotations

import json

from config_helpers import run_envsim, write

from envsim.config import load_scenario
from envsim.config.check_kinds import FileCheck, kind_of
from envsim.journal import checks_from_dicts, checks_to_dicts

HEAD = """
envsim: 1
profile: prod-like
load:
  duration: 1m
  tasks:
    - {name: buy, request: "POST /orders"}
checks:
"""

GOOD = HEAD + (
    "  - {file: {service: db, path: /var/lib/postgresql/data/PG_VERSION}, present: true}\n"
    "  - {file: {service: api, path: /app/migrations/.done}}\n"
    "  - {file: {service: db, path: /tmp/restore.lock}, present: false}\n"
)

BAD = HEAD + (
    "  - {file: {service: dbx, path: /var/lib/postgresql/data/PG_VERSION}, present: true}\n"
    "  - {file: {service: db}, present: true}\n"
    "  - {file: {service: db, path: /etc/hostname}, present: maybe}\n"
    "  - {file: {service: db, path: etc/hostname}}\n"
    "  - {file: {service: payments, path: /etc/hostname}}\n"
)


def test_a_file_check_builds_with_its_label_and_present_defaults_to_true(repo):
    checks = load_scenario(write(repo, "scenarios/s.yaml", GOOD), {}).checks
    assert checks == (
        FileCheck(
            "db", "/var/lib/postgresql/data/PG_VERSION", True, "file /var/lib/postgresql/data/PG_VERSION on db present"
        ),
        FileCheck("api", "/app/migrations/.done", True, "file /app/migrations/.done on api present"),
        FileCheck("db", "/tmp/restore.lock", False, "file /tmp/restore.lock on db absent"),
    )
    assert {kind_of(check).name for check in checks} == {"file"}


def test_a_file_check_survives_its_journal_record(repo):
    checks = load_scenario(write(repo, "scenarios/s.yaml", GOOD), {}).checks
    records = json.loads(json.dumps(checks_to_dicts(checks)))  # as journal.json holds them
    assert records[2] == {
        "id": "check-3",
        "label": "file /tmp/restore.lock on db absent",
        "kind": "file",
        "service": "db",
        "path": "/tmp/restore.lock",
        "present": False,
    }
    assert checks_from_dicts(records) == checks


def test_a_journal_record_with_a_present_that_is_not_a_boolean_is_refused(repo):
    checks = load_scenario(write(repo, "scenarios/s.yaml", GOOD), {}).checks
    (record,) = checks_to_dicts(checks[:1])
    try:
        checks_from_dicts([{**record, "present": "yes"}])
    except ValueError as error:
        assert "present must be true or false, not 'yes'" in str(error)
    else:
        raise AssertionError("a record with present: 'yes' was read back")


def test_validate_accepts_file_checks(repo, monkeypatch):
    write(repo, "scenarios/s.yaml", GOOD)
    assert run_envsim(["validate", "scenarios/s.yaml"], monkeypatch) == (0, "ok: 0 profiles, 1 scenario valid\n", "")


def test_validate_locates_each_wrong_file_check(repo, monkeypatch):
    write(repo, "scenarios/s.yaml", BAD)
    code, out, err = run_envsim(["validate", "scenarios/s.yaml"], monkeypatch)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "scenarios/s.yaml:8:22: checks[0].file.service: unknown service 'dbx'; did you mean 'db'?",
        "scenarios/s.yaml:9:6: checks[1].file: missing required key 'path'",
        "scenarios/s.yaml:10:57: checks[2].present: expected true (the path exists; the default) or false "
        "(it does not), got 'maybe'",
        "scenarios/s.yaml:11:32: checks[3].file.path: expected an absolute path in the service's container, "
        "such as /var/lib/postgresql/data/PG_VERSION, got 'etc/hostname'",
        "scenarios/s.yaml:12:22: checks[4].file.service: 'payments' is a stub: envsim runs it, so a file in its "
        "container tells nothing about the app",
        "5 problems found",
    ]
