"""An exception envsim did not expect exits 3 with one line and a traceback file, never 1."""

from __future__ import annotations

import json
import re
import stat
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from envsim.cli.failures import run_cli
from envsim.errors import EXIT_ENVIRONMENT, EXIT_VERDICT_FAILED


def _group_raising(error: Exception) -> click.Group:
    @click.group()
    def group() -> None:
        pass

    @group.command()
    def boom() -> None:
        raise error

    return group


def _run(group, monkeypatch, state_dir: Path) -> tuple[int, str, str]:
    monkeypatch.setenv("ENVSIM_STATE_DIR", str(state_dir))
    monkeypatch.setattr(sys, "argv", ["envsim", "boom"])
    with CliRunner().isolation() as (out, err, _):
        code = run_cli(group)
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_an_unexpected_exception_is_exit_3_with_its_traceback_in_a_file(monkeypatch, tmp_path):
    code, out, err = _run(_group_raising(KeyError("no such key: Image")), monkeypatch, tmp_path)
    assert code == EXIT_ENVIRONMENT != EXIT_VERDICT_FAILED
    assert "Traceback" not in err and out == ""
    lines = err.splitlines()
    assert lines[0] == "envsim: unexpected error: KeyError: 'no such key: Image'"
    path = Path(re.fullmatch(r"the traceback is in (.+)", lines[1]).group(1))
    assert path.parent == tmp_path / "crashes"
    saved = path.read_text(encoding="utf-8")
    assert saved.startswith("Traceback (most recent call last):") and "in boom" in saved
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_stack_secret_in_the_message_is_redacted_on_the_terminal_and_in_the_file(monkeypatch, tmp_path):
    secrets = tmp_path / "stacks" / "shop" / "secrets.json"
    secrets.parent.mkdir(parents=True)
    secrets.write_text(json.dumps({"db_password": "s3cretPassw0rd"}), encoding="utf-8")
    error = RuntimeError("could not connect to postgresql://app:s3cretPassw0rd@db:5432/shop")
    code, _, err = _run(_group_raising(error), monkeypatch, tmp_path)
    assert code == EXIT_ENVIRONMENT
    assert "s3cretPassw0rd" not in err and "app:<redacted>@db" in err
    path = Path(err.splitlines()[1].removeprefix("the traceback is in "))
    saved = path.read_text(encoding="utf-8")
    assert "s3cretPassw0rd" not in saved and "app:<redacted>@db" in saved


def test_without_a_writable_state_directory_the_traceback_goes_to_the_temporary_directory(monkeypatch, tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    code, _, err = _run(_group_raising(ValueError("x")), monkeypatch, blocked)
    assert code == EXIT_ENVIRONMENT
    path = Path(err.splitlines()[1].removeprefix("the traceback is in "))
    assert path.parent == tmp_path / "tmp" / "envsim-crashes" and path.exists()
