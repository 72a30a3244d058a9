"""Converting compose text in memory: the pure layer, with plain strings in and out."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import yaml

from envsim.compose.app_hints import app_hints
from envsim.compose.convert import ConvertOptions, convert
from envsim.compose.draft import ProfileDraft
from envsim.compose.read import ComposeFile, read_compose
from envsim.compose.render import render_profile, render_scenario

PROJECT = "/repo"
PROFILES = "/repo/profiles"


def draft_of(
    *texts: str,
    environ: Mapping[str, str] | None = None,
    dotenv: str | None = None,
    env_files: Mapping[str, str | None] | None = None,
    name: str = "app",
    app_files: Mapping[str, Mapping[str, str]] | None = None,
) -> ProfileDraft:
    """`app_files`: build context as written -> its files (relative path -> text)."""
    files = [
        ComposeFile("docker-compose.yml" if i == 0 else f"override{i}.yml", textwrap.dedent(t).lstrip())
        for i, t in enumerate(texts)
    ]
    tree = read_compose(files, environ or {}, ComposeFile(".env", dotenv) if dotenv is not None else None)
    hints = {context: app_hints(files) for context, files in (app_files or {}).items()}
    return convert(tree, ConvertOptions(name, PROJECT, PROFILES, hints), env_files or {})


def profile_of(*texts: str, **options) -> dict:
    """The generated profile parsed back (so tests read values, not formatting)."""
    return yaml.safe_load(render_profile(draft_of(*texts, **options)))


def scenario_of(*texts: str, **options) -> dict | None:
    text = render_scenario(draft_of(*texts, **options))
    return None if text is None else yaml.safe_load(text)


def warnings_of(*texts: str, **options) -> list[str]:
    return [str(w) for w in sorted(draft_of(*texts, **options).warnings)]
