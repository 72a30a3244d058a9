"""`envsim validate [FILES...]`: schema and cross-reference checks, every problem at once."""

from __future__ import annotations

import os
from pathlib import Path

import click

from envsim.errors import InputError


@click.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(("docker", "kubernetes")),
    default="docker",
    help="What the profiles must be realisable on: docker (default, everything) or kubernetes "
    "(refuses per-link faults and partitions, located).",
)
def validate(files: tuple[Path, ...], backend: str) -> None:
    """Check profiles and scenarios: schema, references, files; all problems at once.

    With no FILES, checks every YAML file under profiles/ and scenarios/. A scenario
    is checked together with the profile it names. Problems are printed as
    file:line:col: path: message and the exit code is 2.

    \b
    Examples:
      envsim validate
      envsim validate profiles/prod-like.yaml scenarios/checkout.yaml
      envsim validate --backend kubernetes profiles/prod-like.yaml
    """
    from envsim.config import default_paths
    from envsim.config.loader import validate_files

    cwd = Path.cwd()
    paths = list(files) or default_paths(cwd)
    if not paths:
        raise InputError("nothing to validate: no profiles/ or scenarios/ here (run `envsim init` to create them)")
    result = validate_files(paths, dict(os.environ), backend)
    if result.problems:
        raise InputError(result.problems)
    click.echo(f"ok: {_count(result.profiles, 'profile')}, {_count(result.scenarios, 'scenario')} valid")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
