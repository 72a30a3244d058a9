"""Small helpers for config tests: write files into a throwaway repo, run the CLI in-process."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from envsim.cli import cli
from envsim.cli.cmd_init import SCAFFOLD_FILES, scaffold_text
from envsim.cli.failures import run_cli


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def scaffold(root: Path) -> None:
    for name in SCAFFOLD_FILES:
        write(root, name, scaffold_text(name))


def run_envsim(args: list[str], monkeypatch) -> tuple[int, str, str]:
    """`envsim ARGS` in this process, through the same exit-code layer as the real entry point."""
    monkeypatch.setattr(sys, "argv", ["envsim", *args])
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = run_cli(cli)
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return code, stdout, stderr


MINIMAL_PROFILE = """
envsim: 1
services:
  api:
    image: app:1
    ports: {http: 8000}
    publish: [http]
"""


def messages(paths: list[Path], env: dict[str, str] | None = None) -> list[str]:
    """Every problem validate reports for these files, as printed."""
    from envsim.config import validate_paths

    return [str(p) for p in validate_paths(paths, env or {})]


def profile_messages(root: Path, text: str, env: dict[str, str] | None = None, name: str = "p") -> list[str]:
    return messages([write(root, f"profiles/{name}.yaml", text)], env)


def scenario_messages(root: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    return messages([write(root, "scenarios/s.yaml", text)], env)
