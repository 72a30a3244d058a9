"""`envsim init`: scaffold profiles/ and scenarios/ with commented examples, or convert a
docker-compose file (`--from-compose`) into a profile and a starter scenario."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import click

from envsim.errors import InputError, Problem

SCAFFOLD_FILES = ("profiles/prod-like.yaml", "scenarios/checkout.yaml")
# What `docker compose` looks for, in its order of preference.
COMPOSE_DEFAULTS = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
DEFAULT_PROFILE_NAME = "prod-like"


def scaffold_text(relative: str) -> str:
    return resources.files("envsim.cli").joinpath("scaffold", *relative.split("/")).read_text(encoding="utf-8")


@click.command("init")
@click.option(
    "--from-compose",
    "from_compose",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FILE]",
    help="Write a profile and a starter scenario from a compose file (default: compose.yaml, "
    "docker-compose.yml, ... in this directory).",
)
@click.option(
    "-f",
    "--file",
    "files",
    multiple=True,
    metavar="FILE",
    help="A compose file; repeat it to merge files the way `docker compose -f` does.",
)
@click.option(
    "--name",
    help="The profile's name with --from-compose (default: the compose project's name, "
    "else its directory's, else prod-like).",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(from_compose: str | None, files: tuple[str, ...], name: str | None, force: bool) -> None:
    """Scaffold profiles/ and scenarios/ in the current directory.

    Writes a commented example profile (profiles/prod-like.yaml) and scenario
    (scenarios/checkout.yaml) that validate as they are; edit them to match your app.
    Existing files are left alone unless --force is given.

    With --from-compose, reads the app's compose file(s) instead and writes
    profiles/NAME.yaml and scenarios/NAME-smoke.yaml. Credentials become generated
    secrets; what envsim cannot honour is listed in the profile and warned about.

    \b
    Examples:
      envsim init
      envsim init --force && envsim validate
      envsim init --from-compose
      envsim init --from-compose -f docker-compose.yml -f docker-compose.prod.yml --name prod-like
    """
    if from_compose is not None or files:
        paths = ([from_compose] if from_compose else []) + list(files)
        _init_from_compose(Path.cwd(), paths, name, force)
        return
    if name:
        raise InputError("--name is used with --from-compose only")
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


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def _compose_paths(cwd: Path, given: list[str]) -> list[Path]:
    if given:
        return [Path(p) if Path(p).is_absolute() else cwd / p for p in given]
    for name in COMPOSE_DEFAULTS:
        if (cwd / name).is_file():
            found = [cwd / name]
            # `docker compose` merges the override file beside the default one on its own.
            stem, suffix = name.rsplit(".", 1)
            override = cwd / f"{stem}.override.{suffix}"
            return found + ([override] if override.is_file() else [])
    raise InputError(
        f"no compose file here (looked for {', '.join(COMPOSE_DEFAULTS)}); name one: envsim init --from-compose FILE"
    )


def _profile_name(name: str | None, project: object, directory: Path) -> str:
    if name is not None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise InputError(f"--name {name!r}: use letters, digits, '.', '-' and '_'")
        return name
    for candidate in (project, directory.name):
        text = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(candidate or "")).strip("-_.")
        if text:
            return text
    return DEFAULT_PROFILE_NAME


def _compose_tree(cwd: Path, paths: list[Path], environ: dict[str, str]):
    """The compose files merged, with the project's .env (beside the first file) applied."""
    from envsim.compose.read import ComposeFile, read_compose
    from envsim.config.yamlload import read_text

    files = [ComposeFile(_display(p, cwd), read_text(p, _display(p, cwd))) for p in paths]
    dotenv_path = paths[0].resolve().parent / ".env"
    dotenv = (
        ComposeFile(_display(dotenv_path, cwd), read_text(dotenv_path, _display(dotenv_path, cwd)))
        if dotenv_path.is_file()
        else None
    )
    return read_compose(files, environ, dotenv)


def _init_from_compose(cwd: Path, given: list[str], name: str | None, force: bool) -> None:
    from envsim.compose import convert as conversion
    from envsim.compose.app_hints import app_hints, read_context
    from envsim.compose.render import render_profile, render_scenario
    from envsim.config import validate_paths
    from envsim.config.yamlload import read_text

    paths = _compose_paths(cwd, given)
    project_dir = paths[0].resolve().parent
    environ = dict(os.environ)
    tree = _compose_tree(cwd, paths, environ)
    env_files: dict[str, str | None] = {}
    for written, _ in conversion.env_file_paths(tree):
        target = project_dir / written
        env_files[written] = read_text(target, _display(target, cwd)) if target.is_file() else None
    profile_name = _profile_name(name, tree.doc.data.get("name"), project_dir)
    profile_path = cwd / "profiles" / f"{profile_name}.yaml"
    scenario_path = cwd / "scenarios" / f"{profile_name}-smoke.yaml"
    hints = {written: app_hints(read_context(project_dir / written)) for written in conversion.build_contexts(tree)}
    options = conversion.ConvertOptions(
        profile_name, project_dir.as_posix(), profile_path.parent.resolve().as_posix(), hints
    )
    draft = conversion.convert(tree, options, env_files)
    outputs = [(profile_path, render_profile(draft)), (scenario_path, render_scenario(draft))]
    existing = [_display(path, cwd) for path, text in outputs if text is not None and path.exists()]
    if existing and not force:
        raise InputError(f"not overwriting {', '.join(existing)} (use --force to replace them)")
    for warning in sorted(set(draft.warnings)):
        click.echo(f"warning: {warning}", err=True)
    for path, text in outputs:
        if text is None:
            click.echo("warning: no scenario written: no service publishes a port to put load on", err=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {_display(path, cwd)}")
    written_paths = [path for path, text in outputs if text is not None]
    problems: list[Problem] = validate_paths(written_paths, environ)
    if problems:
        for problem in problems:
            click.echo(f"warning: {problem}", err=True)
        click.echo(f"the files need edits before `envsim up`: {len(problems)} problem(s) above", err=True)
        return
    click.echo(
        f"next: review {_display(profile_path, cwd)}, then `envsim plan {profile_name}` and `envsim up {profile_name}`"
    )
