"""`envsim verdict` end to end: in this process through the same exit-code layer as the real entry
point, and once as a subprocess (as a user runs it), where a traceback would reach stderr."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from verdict_journals import fault_events, journal, steady

from envsim.cli import cli
from envsim.cli.failures import run_cli
from envsim.config.check_kinds import MetricCheck, RecoveryCheck


@pytest.fixture
def envsim(tmp_path, monkeypatch):
    """`envsim ARGS` run in tmp_path, in this process: the exit code, stdout and stderr of the command."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess:
        monkeypatch.setattr(sys, "argv", ["envsim", *args])
        with CliRunner().isolation() as (out, err, _):
            code = run_cli(cli)
            sys.stdout.flush()  # the plain verdict is written to sys.stdout, not echoed
            sys.stderr.flush()
            return subprocess.CompletedProcess(args, code, out.getvalue().decode(), err.getvalue().decode())

    return run


def test_passing_journal_exits_0_and_writes_reports(tmp_path, envsim):
    journal((MetricCheck("p95", "below", 0.5),), profile=steady(millis=120)).write(tmp_path / "run" / "journal.json")
    done = envsim("verdict", "run/journal.json")
    assert done.returncode == 0, done.stderr
    assert "PASS    check-1 p95 < 500ms" in done.stdout
    assert done.stdout.rstrip().endswith("verdict: PASSED (1/1 checks passed)")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "journal.json",
        "junit.xml",
        "report.html",
        "summary.md",
        "verdict.json",
    ]


def test_failing_journal_exits_1_and_honours_reports_dir_and_format(tmp_path, envsim):
    checks = (MetricCheck("p95", "below", 0.05), RecoveryCheck("gone", 5))
    journal(checks, profile=steady(millis=120), faults=fault_events(("gone", 10, None))).write(tmp_path / "j.json")
    done = envsim("verdict", "j.json", "--reports", "out", "--format", "junit", "--format", "markdown")
    assert done.returncode == 1, done.stderr
    assert "FAIL    check-1" in done.stdout and "never removed" in done.stdout
    assert "verdict: FAILED (0/2 checks passed)" in done.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "summary.md"]


def test_missing_or_corrupt_journal_exits_2_with_a_message(tmp_path, envsim):
    missing = envsim("verdict", "nope.json")
    assert missing.returncode == 2 and "nope.json: no such journal file" in missing.stderr
    (tmp_path / "bad.json").write_text("{not json")
    # the real entry point, where an uncaught error would print a traceback
    corrupt = subprocess.run(
        [sys.executable, "-m", "envsim", "verdict", "bad.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert corrupt.returncode == 2 and "bad.json: not a valid envsim journal" in corrupt.stderr
    assert "Traceback" not in corrupt.stderr
    (tmp_path / "old.json").write_text('{"version": 99}')
    old = envsim("verdict", "old.json")
    assert old.returncode == 2 and "version 99 is not supported" in old.stderr


def test_journal_with_unreadable_checks_exits_2(tmp_path, envsim):
    broken = journal((MetricCheck("p95", "below", 0.5),)).to_dict()
    broken["checks"] = [{"kind": "metric", "metric": "p42"}]
    (tmp_path / "j.json").write_text(json.dumps(broken))
    done = envsim("verdict", "j.json", "--no-reports")
    assert done.returncode == 2 and "checks cannot be read" in done.stderr and "checks[0]" in done.stderr
    assert not (tmp_path / "verdict.json").exists()


def test_a_journal_with_a_lost_worker_exits_4_and_names_it_in_every_report(tmp_path, envsim):
    from envsim.journal import WorkerLoss

    loss = WorkerLoss("worker-2", 8.0, "stopped sending heartbeats")
    checks = (MetricCheck("p95", "below", 0.5),)
    journal(checks, profile=steady(millis=120), worker_losses=(loss,)).write(tmp_path / "run" / "journal.json")
    done = envsim("verdict", "run/journal.json")
    assert done.returncode == 4, done.stderr
    assert "verdict: INCONCLUSIVE (1/1 checks passed)" in done.stdout and "worker-2 was lost" in done.stdout
    run = tmp_path / "run"
    assert json.loads((run / "verdict.json").read_text())["status"] == "inconclusive"
    assert "INCONCLUSIVE" in (run / "summary.md").read_text() and "worker-2" in (run / "summary.md").read_text()
    assert "INCONCLUSIVE" in (run / "report.html").read_text()
    assert 'value="inconclusive"' in (run / "junit.xml").read_text()


def test_journal_of_a_run_that_broke_exits_3_like_the_run(tmp_path, envsim):
    broken = "envsim's own toxiproxy stopped during the run, so requests through it failed"
    journal((MetricCheck("p95", "below", 0.5),), profile=steady(millis=120), error=broken).write(tmp_path / "j.json")
    done = envsim("verdict", "j.json", "--no-reports")
    assert done.returncode == 3, done.stderr
    assert f"the run failed: {broken}" in done.stdout
    assert "Traceback" not in done.stderr
