"""Finding files: profile names, the repo root, the files `validate` checks by default."""

from __future__ import annotations

import os
from pathlib import Path

from envsim.config.yamlload import load_yaml
from envsim.errors import InputError, Problem

YAML_SUFFIXES = (".yaml", ".yml")
PROFILES_DIR = "profiles"
SCENARIOS_DIR = "scenarios"


def display_name(path: Path, cwd: Path | None = None) -> str:
    """How a file is named in messages: relative to the working directory when below it."""
    base = cwd if cwd is not None else Path(os.getcwd())
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except (ValueError, OSError):
        return str(path)


def find_root(file: Path) -> Path:
    """The repo a file belongs to: the nearest ancestor holding `.git`, else the directory
    above `profiles/` or `scenarios/`, else the file's own directory."""
    directory = file.resolve().parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    if directory.name in (PROFILES_DIR, SCENARIOS_DIR):
        return directory.parent
    return directory


def looks_like_name(ref: str) -> bool:
    """`prod-like` is a name; `profiles/prod-like.yaml`, `./x` and `x.yaml` are paths."""
    return "/" not in ref and os.sep not in ref and not ref.endswith(YAML_SUFFIXES) and ref not in (".", "..")


def profile_candidates(name: str, directory: Path) -> list[Path]:
    return [directory / f"{name}{suffix}" for suffix in YAML_SUFFIXES]


def existing_profile_names(directory: Path) -> list[str]:
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())


def find_named_profile(name: str, directories: list[Path]) -> Path | None:
    for directory in directories:
        for candidate in profile_candidates(name, directory):
            if candidate.is_file():
                return candidate
    return None


def resolve_profile_path(arg: str, cwd: Path) -> Path:
    """A profile argument: a name looked up as profiles/NAME.yaml then .yml from `cwd`, or a path."""
    from envsim.config.schema_check import did_you_mean

    if looks_like_name(arg):
        found = find_named_profile(arg, [cwd / PROFILES_DIR])
        if found is not None:
            return found
        names = existing_profile_names(cwd / PROFILES_DIR)
        hint = did_you_mean(arg, names)
        if not hint and names:
            hint = f" (profiles here: {', '.join(names)})"
        raise InputError(
            [
                Problem(
                    arg,
                    1,
                    1,
                    "",
                    f"no profile named '{arg}': looked for "
                    f"{PROFILES_DIR}/{arg}.yaml and {PROFILES_DIR}/{arg}.yml{hint}",
                )
            ]
        )
    path = Path(arg)
    path = path if path.is_absolute() else cwd / path
    if not path.is_file():
        raise InputError([Problem(arg, 1, 1, "", "file not found")])
    return path


def repo_root(directory: str | Path) -> Path | None:
    """The repo `directory` is in: the nearest ancestor holding `.git` or `profiles/`."""
    start = Path(directory).resolve()
    for candidate in (start, *start.parents):
        if (candidate / ".git").exists() or (candidate / PROFILES_DIR).is_dir():
            return candidate
    return None


def repo_profile_names(directory: str | Path) -> set[str]:
    """The profile names of the repo `directory` is in: each profiles/*.yaml's `name:`, else its file name."""
    root = repo_root(directory)
    if root is None:
        return set()
    names = set()
    for stem in existing_profile_names(root / PROFILES_DIR):
        names.add(stem)
        for path in profile_candidates(stem, root / PROFILES_DIR):
            names.add(declared_name(path) or stem)
    return names


def declared_name(path: Path) -> str | None:
    """The top-level `name:` of a YAML file, None where the file has none or does not read."""
    if not path.is_file():
        return None
    try:
        data = load_yaml(path).data
    except InputError:
        return None  # `validate` reports it; a listing only needs the name
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if isinstance(name, (str, int)) and str(name) else None


def default_paths(cwd: Path) -> list[Path]:
    """Every YAML file under profiles/ and scenarios/ (recursively), profiles first."""
    found: list[Path] = []
    for directory in (PROFILES_DIR, SCENARIOS_DIR):
        base = cwd / directory
        if base.is_dir():
            found.extend(sorted(p for p in base.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()))
    return found


def inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
