"""The pipeline for one file: read -> extends -> interpolate -> schema -> references -> model.

A `Loader` remembers the profiles it has loaded, so validating many scenarios of one
profile reads that profile once, and its problems are reported once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envsim.config.backends import backend_problems, scenario_backend_problems
from envsim.config.build_profile import build_profile
from envsim.config.build_scenario import build_scenario
from envsim.config.discover import (
    PROFILES_DIR,
    display_name,
    existing_profile_names,
    find_named_profile,
    find_root,
    looks_like_name,
)
from envsim.config.extends import load_profile_doc
from envsim.config.interpolate import interpolate
from envsim.config.profile_model import Profile
from envsim.config.refs import check_profile_refs, mapping
from envsim.config.refs_scenario import check_scenario_refs
from envsim.config.scenario_model import Scenario
from envsim.config.schema_check import check_schema, did_you_mean
from envsim.config.yamlload import YamlDoc, load_yaml
from envsim.errors import InputError, Problem

# Keys only a scenario has: a file with any of them is checked as a scenario.
SCENARIO_KEYS = ("profile", "load", "timeline", "checks")


@dataclass(frozen=True)
class ValidationResult:
    problems: list[Problem]
    profiles: int
    scenarios: int


def is_scenario(doc: YamlDoc) -> bool:
    return any(key in doc.data for key in SCENARIO_KEYS)


class Loader:
    def __init__(self, env: Mapping[str, str], backend: str = "docker"):
        self.env = env
        self.backend = backend  # what the profile must be realisable on (envsim.config.backends)
        self._profiles: dict[Path, tuple[Profile | None, list[Problem]]] = {}
        self._parsed: dict[Path, YamlDoc] = {}

    def read(self, path: Path) -> YamlDoc:
        """The file parsed, once per Loader: a base profile that several profiles extend is parsed
        once. Each call returns a YamlDoc of its own over the parsed tree, since interpolation
        replaces a document's `data`; nothing changes the tree or the marks in place."""
        if path not in self._parsed:
            self._parsed[path] = load_yaml(path, display_name(path))
        doc = self._parsed[path]
        return YamlDoc(doc.path, doc.display, doc.data, doc.marks, doc.key_marks, doc.sources)

    def profile(self, path: Path, parsed: YamlDoc | None = None) -> tuple[Profile | None, list[Problem]]:
        key = path.resolve()
        if key not in self._profiles:
            self._profiles[key] = self._load_profile(path, parsed)
        return self._profiles[key]

    def _load_profile(self, path: Path, parsed: YamlDoc | None) -> tuple[Profile | None, list[Problem]]:
        try:
            doc = load_profile_doc(path, self.read, parsed)
        except InputError as error:
            return None, error.problems
        root = find_root(path)
        credentials = set(mapping(doc.data.get("credentials")))
        problems = interpolate(doc, self.env, credentials)
        problems += check_schema(doc, "profile")
        problems += check_profile_refs(doc, root)
        problems += backend_problems(doc, self.backend)
        if problems:
            return None, sorted(set(problems))
        return build_profile(doc, root), []

    def scenario(self, path: Path, parsed: YamlDoc | None = None) -> tuple[Scenario | None, list[Problem]]:
        try:
            doc = parsed if parsed is not None else self.read(path)
        except InputError as error:
            return None, error.problems
        root = find_root(path)
        problems: list[Problem] = []
        profile = None
        reference = doc.data.get("profile")
        if isinstance(reference, str) and reference.strip():
            profile_path = self._scenario_profile_path(doc, reference, root, problems)
            if profile_path is not None:
                profile, profile_problems = self.profile(profile_path)
                if profile_problems:
                    problems += profile_problems
                    problems.append(
                        doc.problem(("profile",), f"profile '{reference}' is not valid (its problems are listed)")
                    )
        credentials = {c.name for c in profile.credentials} if profile else None
        problems += interpolate(doc, self.env, credentials)
        problems += check_schema(doc, "scenario")
        problems += check_scenario_refs(doc, profile, root)
        problems += scenario_backend_problems(doc, profile, self.backend)
        if problems or profile is None:
            return None, sorted(set(problems))
        return build_scenario(doc, profile, root), []

    def _scenario_profile_path(self, doc: YamlDoc, reference: str, root: Path, problems: list[Problem]) -> Path | None:
        """A name is looked up in profiles/ beside the scenarios directory, then at the repo root."""
        if not looks_like_name(reference):
            candidate = doc.path.parent / reference
            if candidate.is_file():
                return candidate
            problems.append(doc.problem(("profile",), f"profile file not found: '{reference}'"))
            return None
        directories = list(
            dict.fromkeys([doc.path.parent.parent / PROFILES_DIR, root / PROFILES_DIR, doc.path.parent / PROFILES_DIR])
        )
        found = find_named_profile(reference, directories)
        if found is None:
            names = sorted({n for d in directories for n in existing_profile_names(d)})
            problems.append(
                doc.problem(
                    ("profile",),
                    f"no profile named '{reference}' (looked for "
                    f"{PROFILES_DIR}/{reference}.yaml){did_you_mean(reference, names)}",
                )
            )
        return found

    def any(self, path: Path) -> tuple[Profile | Scenario | None, list[Problem]]:
        """A profile or a scenario, decided by content."""
        try:
            doc = self.read(path)
        except InputError as error:
            return None, error.problems
        return self.scenario(path, doc) if is_scenario(doc) else self.profile(path, doc)


def validate_files(paths: list[Path], env: Mapping[str, str], backend: str = "docker") -> ValidationResult:
    loader = Loader(env, backend)
    problems: set[Problem] = set()
    profiles = scenarios = 0
    for path in paths:
        model, found = loader.any(path)
        problems.update(found)
        if isinstance(model, Scenario):
            scenarios += 1
        elif isinstance(model, Profile):
            profiles += 1
    return ValidationResult(sorted(problems), profiles, scenarios)
