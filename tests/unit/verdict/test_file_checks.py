"""A `file` check probed (the exit status of `test -e` in the container) and judged from a journal."""

from __future__ import annotations

from datetime import UTC, datetime

from verdict_journals import journal

from envsim.config.check_kinds import FileCheck, kind_of
from envsim.journal import ProbeResult
from envsim.verdict import judge
from envsim.verdict.formatting import format_bound, format_value

MARKER = FileCheck(
    "db", "/var/lib/postgresql/data/PG_VERSION", True, "file /var/lib/postgresql/data/PG_VERSION on db present"
)
LOCK = FileCheck("db", "/tmp/restore.lock", False, "file /tmp/restore.lock on db absent")


class ExitStatuses:
    """The engine's side of a probe as plain data: what each command run in a container answers."""

    run_start = datetime(2026, 1, 1, tzinfo=UTC)

    def __init__(self, answer: tuple[int | None, str, str]):
        self.answer = answer
        self.commands: list[tuple[str, list[str]]] = []

    def exec(self, service: str, command: list[str]) -> tuple[int | None, str, str]:
        self.commands.append((service, command))
        return self.answer


def probed(check: FileCheck, answer: tuple[int | None, str, str]):
    tools = ExitStatuses(answer)
    probe = kind_of(check).probe
    assert probe is not None
    return probe(check, tools), tools.commands  # type: ignore[arg-type]


def test_the_probe_runs_test_e_without_a_shell_and_reads_its_exit_status():
    there, commands = probed(MARKER, (0, "", ""))
    assert commands == [("db", ["test", "-e", "/var/lib/postgresql/data/PG_VERSION"])]
    assert (there.ok, there.value, there.detail) == (True, 1.0, "/var/lib/postgresql/data/PG_VERSION exists")
    gone, _ = probed(MARKER, (1, "", ""))
    assert (gone.ok, gone.value, gone.detail) == (True, 0.0, "/var/lib/postgresql/data/PG_VERSION does not exist")


def test_a_container_without_test_or_a_failed_exec_is_no_measurement():
    missing, _ = probed(MARKER, (127, "", 'exec: "test": executable file not found in $PATH'))
    assert (missing.ok, missing.value, missing.detail) == (False, None, "no `test` program in the container of db")
    stopped, _ = probed(MARKER, (None, "", "container db is not running"))
    assert (stopped.ok, stopped.detail) == (False, "container db is not running")


def test_present_and_absent_are_judged_against_the_probe():
    checks = (MARKER, MARKER, LOCK, LOCK)
    probes = (
        ProbeResult("check-1", 61, True, 1.0, "/var/lib/postgresql/data/PG_VERSION exists"),
        ProbeResult("check-2", 61, True, 0.0, "/var/lib/postgresql/data/PG_VERSION does not exist"),
        ProbeResult("check-3", 61, True, 0.0, "/tmp/restore.lock does not exist"),
        ProbeResult("check-4", 61, True, 1.0, "/tmp/restore.lock exists"),
    )
    there, gone, unlocked, locked = judge(journal(checks, probes=probes)).results
    assert there.passed and there.reason == "/var/lib/postgresql/data/PG_VERSION exists; expected present"
    assert not gone.passed and gone.reason == "/var/lib/postgresql/data/PG_VERSION does not exist; expected present"
    assert (format_value(gone.measured, gone.unit), format_bound(gone)) == ("false", "= true")
    assert unlocked.passed and not locked.passed
    assert locked.label == "file /tmp/restore.lock on db absent"
    assert (format_value(locked.measured, locked.unit), format_bound(locked)) == ("true", "= false")


def test_a_probe_that_could_not_test_the_path_or_none_at_all_fails_the_check():
    probes = (ProbeResult("check-1", 61, False, None, "no `test` program in the container of db"),)
    failed, unprobed = judge(journal((MARKER, LOCK), probes=probes)).results
    assert not failed.passed and failed.reason == (
        "the path could not be tested: no `test` program in the container of db"
    )
    assert not unprobed.passed and unprobed.reason == "no data: no probe result recorded for check-2"
