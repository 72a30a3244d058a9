"""Compose files as text -> one merged, substituted tree with the location of every value.

Pure: the caller reads the files (the compose files, the `.env` beside the first one) and
passes their text and the environment. Each file is parsed with envsim's own YAML reader (so
duplicate keys, tags and syntax errors come back as `file:line:col` problems), substituted
the compose way, brought to one form (list and mapping forms of `environment` and
`depends_on` become mappings) and merged over the files before it as `docker compose -f a
-f b` does: mappings merge key by key, `command`, `entrypoint` and `healthcheck.test`
replace, other lists add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envsim.compose.interpolate import SubstitutionError, parse_dotenv, substitute
from envsim.config.yamlload import Mark, TreePath, YamlDoc, file_problem, parse_yaml
from envsim.errors import InputError, Problem

# Lists that an override file replaces instead of extending.
REPLACED_LISTS = frozenset({"command", "entrypoint", "test", "dns", "dns_search", "tmpfs"})


@dataclass(frozen=True)
class ComposeFile:
    display: str  # as shown to the user, e.g. "docker-compose.yml"
    text: str


@dataclass
class ComposeTree:
    """The merged compose project: `doc.data` is plain values, `doc.problem()` locates them."""

    doc: YamlDoc
    variables: dict[str, str]  # .env values under the caller's environment
    warnings: list[Problem] = field(default_factory=list)


def read_compose(
    files: list[ComposeFile], environ: Mapping[str, str], dotenv: ComposeFile | None = None
) -> ComposeTree:
    """Raises InputError with every problem of every file."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    variables = dict(environ)
    if dotenv is not None:
        values, bad = parse_dotenv(dotenv.text, environ)
        problems += [file_problem(dotenv.display, p.message, p.line) for p in bad]
        variables = {**values, **environ}
    merged: YamlDoc | None = None
    for source in files:
        try:
            doc = parse_yaml(source.text, Path(source.display), source.display)
        except InputError as error:
            problems += error.problems
            continue
        _substitute_tree(doc, variables, problems, warnings)
        _normalize(doc)
        merged = doc if merged is None else _merge_docs(merged, doc)
    if problems:
        raise InputError(problems)
    assert merged is not None, "read_compose needs at least one file"
    return ComposeTree(merged, variables, warnings)


def _substitute_tree(
    doc: YamlDoc, variables: Mapping[str, str], problems: list[Problem], warnings: list[Problem]
) -> None:
    reported: set[str] = set()

    def walk(value: Any, path: TreePath) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, str) and "$" in value:
            try:
                result = substitute(value, variables)
            except SubstitutionError as error:
                problems.append(doc.problem(path, str(error)))
                return value
            for name in result.unset:
                if name not in reported:
                    reported.add(name)
                    warnings.append(
                        doc.problem(
                            path,
                            f"variable '{name}' is not set (neither in the environment nor "
                            "in .env): an empty string is used, as compose does",
                        )
                    )
            return result.text
        return value

    doc.data = walk(doc.data, ())


def _normalize(doc: YamlDoc) -> None:
    """`environment` and `depends_on` lists become mappings, `env_file` a list, `build` a mapping."""
    services = doc.data.get("services")
    if not isinstance(services, dict):
        return
    for name, spec in services.items():
        if not isinstance(spec, dict):
            continue
        here = ("services", name)
        environment = spec.get("environment")
        if isinstance(environment, list) and all(isinstance(item, str) for item in environment):
            spec["environment"] = _list_to_mapping(doc, here + ("environment",), environment, "=")
        depends = spec.get("depends_on")
        if isinstance(depends, list) and all(isinstance(item, str) for item in depends):
            spec["depends_on"] = _list_to_mapping(doc, here + ("depends_on",), depends, None)
        if isinstance(spec.get("env_file"), (str, dict)):
            _rekey(doc, here + ("env_file",), here + ("env_file", 0))
            spec["env_file"] = [spec["env_file"]]
        if isinstance(spec.get("build"), str):
            _rekey(doc, here + ("build",), here + ("build", "context"))
            doc.marks[here + ("build",)] = doc.marks[here + ("build", "context")]
            spec["build"] = {"context": spec["build"]}


def _list_to_mapping(doc: YamlDoc, path: TreePath, items: list[str], separator: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for index, item in enumerate(items):
        key, value = (item.partition(separator)[0], item.partition(separator)[2]) if separator else (item, None)
        if separator and separator not in item:
            value = None  # `- KEY` alone: taken from the environment
        _rekey(doc, path + (index,), path + (key,))
        doc.key_marks[path + (key,)] = doc.marks[path + (key,)]
        result[key] = value
    return result


def _rekey(doc: YamlDoc, old: TreePath, new: TreePath) -> None:
    for marks in (doc.marks, doc.key_marks):
        moved = {new + where[len(old) :]: mark for where, mark in marks.items() if where[: len(old)] == old}
        for where in [w for w in marks if w[: len(old)] == old]:
            del marks[where]
        marks.update(moved)


def _merge_docs(base: YamlDoc, over: YamlDoc) -> YamlDoc:
    marks = dict(base.marks)
    key_marks = dict(base.key_marks)
    data = _merge(base.data, over.data, (), over, marks, key_marks)
    sources = {**base.sources, **over.sources}
    return YamlDoc(base.path, base.display, data, marks, key_marks, sources)


def _copy_marks(
    over: YamlDoc, src: TreePath, dst: TreePath, marks: dict[TreePath, Mark], key_marks: dict[TreePath, Mark]
) -> None:
    for own, target in ((over.marks, marks), (over.key_marks, key_marks)):
        for where in [w for w in target if w[: len(dst)] == dst and len(w) > len(dst)]:
            del target[where]
        for where, mark in own.items():
            if where[: len(src)] == src:
                target[dst + where[len(src) :]] = mark


def _merge(
    base: Any, over: Any, path: TreePath, doc: YamlDoc, marks: dict[TreePath, Mark], key_marks: dict[TreePath, Mark]
) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        result = dict(base)
        for key, value in over.items():
            child = path + (key,)
            if key in base:
                result[key] = _merge(base[key], value, child, doc, marks, key_marks)
            else:
                result[key] = value
                _copy_marks(doc, child, child, marks, key_marks)
            if child in doc.key_marks:
                key_marks[child] = doc.key_marks[child]
        return result
    if isinstance(base, list) and isinstance(over, list) and (not path or path[-1] not in REPLACED_LISTS):
        items = list(base)
        for index, item in enumerate(over):
            if item not in items:
                _copy_marks(doc, path + (index,), path + (len(items),), marks, key_marks)
                items.append(item)
        return items
    _copy_marks(doc, path, path, marks, key_marks)
    return over
