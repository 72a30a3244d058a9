"""`envsim init`: scaffold profiles/ and scenarios/ with commented examples."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from envsim.errors import InputError

SCAFFOLD_FILES = ("profiles/prod-like.yaml", "scenarios/checkout.yaml")


def scaffold_text(relative: str) -> str:
    return resources.files("envsim.cli").joinpath("scaffold", *relative.split("/")).read_text(encoding="utf-8")


@click.command("init")
@click.option("--force", is_flag=True, help="Overwrite example files that already exist.")
def init(force: bool) -> None:
    """Scaffold profiles/ and scenarios/ in the current directory.

    Writes a commented example profile (profiles/prod-like.yaml) and scenario
    (scenarios/checkout.yaml) that validate as they are; edit them to match your app.
    Existing files are left alone unless --force is given.

    \b
    Examples:
      envsim init
      envsim init --force && envsim validate
    """
    cwd = Path.cwd()
    existing = [name for name in SCAFFOLD_FILES if (cwd / name).exists()]
    if existing and not force:
        raise InputError(f"not overwriting {', '.join(existing)} (use --force to replace them)")
    for name in SCAFFOLD_FILES:
        target = cwd / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(scaffold_text(name), encoding="utf-8")
        click.echo(f"wrote {name}")
    click.echo("next: edit them, then run `envsim validate` and `envsim plan prod-like`")
