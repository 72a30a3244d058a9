"""Loading profiles and scenarios into the frozen model, with every problem located.

Every function raises envsim.errors.InputError carrying all problems found. The environment
is always passed in (the CLI passes os.environ); nothing here reads it. The heavier modules
(jsonschema, the pipeline) are imported on first use so that importing this package is cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from envsim.config.discover import default_paths, looks_like_name, resolve_profile_path
from envsim.errors import InputError, Problem

if TYPE_CHECKING:
    from envsim.config.profile_model import Profile
    from envsim.config.scenario_model import Scenario

__all__ = [
    "default_paths",
    "load_any",
    "load_profile",
    "load_scenario",
    "resolve_profile_path",
    "validate_paths",
]


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise InputError(problems)


def load_profile(path: Path, env: Mapping[str, str]) -> Profile:
    from envsim.config.loader import Loader

    profile, problems = Loader(env).profile(Path(path))
    _raise_if(problems)
    assert profile is not None
    return profile


def load_scenario(path: Path, env: Mapping[str, str], backend: str = "docker") -> Scenario:
    from envsim.config.loader import Loader

    scenario, problems = Loader(env, backend).scenario(Path(path))
    _raise_if(problems)
    if scenario is None:  # a scenario without a usable profile reports it as a problem
        raise InputError(f"{path}: not a loadable scenario")
    return scenario


def load_any(arg: str, cwd: Path, env: Mapping[str, str], backend: str = "docker") -> Profile | Scenario:
    """A profile name or path, or a scenario path; which one is decided by the file's content.
    `backend`: what the profile must be realisable on (envsim.config.backends)."""
    from envsim.config.loader import Loader

    if looks_like_name(arg):
        path = resolve_profile_path(arg, cwd)
    else:
        path = Path(arg) if Path(arg).is_absolute() else cwd / arg
        if not path.is_file():
            raise InputError([Problem(arg, 1, 1, "", "file not found")])
    model, problems = Loader(env, backend).any(path)
    _raise_if(problems)
    assert model is not None
    return model


def validate_paths(paths: list[Path], env: Mapping[str, str]) -> list[Problem]:
    """Every problem in the given files (and the profiles they use), sorted; empty when all are valid."""
    from envsim.config.loader import validate_files

    return validate_files([Path(p) for p in paths], env).problems
