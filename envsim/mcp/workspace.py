"""The app repo the server answers about: its profiles and scenarios, with inputs checked.

Every name or path a tool receives is checked here, with the CLI's InputError messages, and
confined to the repo. Loading goes through envsim.api (profiles, scenarios, plans) and
envsim.config (validation), never around them. Secret values are never generated on this
path; `Scrubber` is a last line of defence for values a profile takes from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envsim import api
from envsim.api import Profile, Scenario, default_paths
from envsim.errors import InputError, Problem

MIN_SCRUB_LENGTH = 4  # shorter values would mangle ordinary text; envsim never generates them


@dataclass
class Workspace:
    root: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # generated credential values of the stacks this server has touched (value -> name),
    # redacted from every answer as a last line of defence
    live_secrets: dict[str, str] = field(default_factory=dict, repr=False)
    # the environment's credential values of profiles/, with the files' stats they were read at:
    # every answer is scrubbed, and loading every profile for each one cost more than the answer
    _profile_secrets: tuple[tuple[tuple[str, int, int], ...], dict[str, str]] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()

    def remember_secret(self, name: str, value: str) -> None:
        if isinstance(value, str) and len(value) >= MIN_SCRUB_LENGTH:
            self.live_secrets[value] = name

    # ------------------------------------------------------------------ discovery

    def profile_names(self) -> list[str]:
        directory = self.root / "profiles"
        return sorted(p.stem for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))

    def scenario_paths(self) -> list[str]:
        directory = self.root / "scenarios"
        return sorted(str(p.relative_to(self.root)) for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))

    # ------------------------------------------------------------------ inputs

    def inside(self, raw: str, what: str) -> Path:
        """`raw` as a path inside the repo (relative to its root), or InputError."""
        if not isinstance(raw, str) or not raw.strip():
            raise InputError(f"{what}: an empty path")
        if "\x00" in raw:
            raise InputError(f"{what}: {raw!r} is not a path")
        path = Path(raw)
        resolved = (path if path.is_absolute() else self.root / path).resolve()
        try:
            resolved.relative_to(self.root)
        except ValueError:
            raise InputError(f"{what}: {raw} is outside the repo ({self.root})") from None
        return resolved

    def profile(self, name: str) -> Profile:
        """A profile by name (profiles/NAME.yaml) or repo-relative path."""
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"profile: give a name ({', '.join(self.profile_names()) or 'none in profiles/'})")
        if "/" in name or name.endswith((".yaml", ".yml")):
            return api.load_profile(self.inside(name, "profile"), cwd=self.root, env=self.env)
        return api.load_profile(name, cwd=self.root, env=self.env)

    def scenario(self, ref: str) -> Scenario:
        """A scenario by repo-relative path or by name (scenarios/NAME.yaml)."""
        if not isinstance(ref, str) or not ref.strip():
            raise InputError(f"scenario: give a path or name ({', '.join(self.scenario_paths()) or 'none'})")
        if "/" not in ref and not ref.endswith((".yaml", ".yml")):
            ref = f"scenarios/{ref}.yaml"
        path = self.inside(ref, "scenario")
        if not path.is_file():
            raise InputError([Problem(ref, 1, 1, "", "file not found")])
        return api.load_scenario(path, env=self.env)

    def target(self, target: str) -> Profile | Scenario:
        """A profile name or path, or a scenario path, as `envsim plan TARGET` takes it."""
        if isinstance(target, str) and ("/" in target or target.endswith((".yaml", ".yml"))):
            self.inside(target, "target")
        return api.load_any(target, cwd=self.root, env=self.env)

    # ------------------------------------------------------------------ validation

    def validate(self, files: list[str] | None) -> dict[str, Any]:
        """Every problem in the files (default: all of profiles/ and scenarios/), as the CLI prints them."""
        from envsim.api import validate_files

        paths = [self.inside(f, "files") for f in files] if files else default_paths(self.root)
        if not paths:
            raise InputError("nothing to validate: no profiles/ or scenarios/ here (run `envsim init` to create them)")
        result = validate_files(paths, dict(self.env))
        # files relative to the repo root, as `envsim validate` run there names them
        problems = [str(self.relative_problem(p)) for p in result.problems]
        return {
            "status": "invalid" if problems else "ok",
            "exit_code": 2 if problems else 0,
            "problems": problems,
            "profiles": result.profiles,
            "scenarios": result.scenarios,
            "files": [str(p.relative_to(self.root)) for p in paths],
        }

    def relative_problem(self, problem: Problem) -> Problem:
        path = Path(problem.file)
        if path.is_absolute():
            try:
                return Problem(
                    str(path.relative_to(self.root)), problem.line, problem.col, problem.path, problem.message
                )
            except ValueError:
                pass
        return problem

    def error_text(self, error: InputError) -> str:
        """An InputError's text with files relative to the repo root."""
        if error.problems:
            return "\n".join(str(self.relative_problem(p)) for p in error.problems)
        return str(error)

    # ------------------------------------------------------------------ secrets

    def scrubber(self, profiles: list[Profile] | None = None) -> Scrubber:
        """Redacts every credential value a profile takes from the environment (`value:`)."""
        from_profiles = _credential_values(profiles) if profiles is not None else self._profiles_credential_values()
        return Scrubber({**self.live_secrets, **from_profiles})

    def _profiles_credential_values(self) -> dict[str, str]:
        """Those of profiles/, loaded again only when a file there changed (or came or went)."""
        stamp = self._profiles_stamp()
        if self._profile_secrets is None or self._profile_secrets[0] != stamp:
            self._profile_secrets = (stamp, _credential_values(self._loadable_profiles()))
        return self._profile_secrets[1]

    def _profiles_stamp(self) -> tuple[tuple[str, int, int], ...]:
        stamp = []
        for name in self.profile_names():
            for suffix in (".yaml", ".yml"):
                try:
                    stat = (self.root / "profiles" / f"{name}{suffix}").stat()
                except OSError:
                    continue
                stamp.append((f"{name}{suffix}", stat.st_mtime_ns, stat.st_size))
        return tuple(stamp)

    def _loadable_profiles(self) -> list[Profile]:
        loaded = []
        for name in self.profile_names():
            try:
                loaded.append(self.profile(name))
            except InputError:
                continue
        return loaded


def _credential_values(profiles: list[Profile]) -> dict[str, str]:
    """value -> credential name, for every credential value a profile takes from the environment."""
    values: dict[str, str] = {}
    for profile in profiles:
        for credential in profile.credentials:
            if credential.value is None or credential.value.secrets:
                continue
            text = credential.value.render({})
            if len(text) >= MIN_SCRUB_LENGTH:
                values[text] = credential.name
    return values


@dataclass(frozen=True)
class Scrubber:
    values: Mapping[str, str]  # value -> credential name

    def text(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, f"<secret:{self.values[value]}>")
        return text

    def data(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {self.text(str(k)): self.data(v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.data(v) for v in data]
        return data
