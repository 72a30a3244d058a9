"""Checks of declarative flows the schema cannot see: load variables, captures, sequences.

A `${var.NAME}` in a request must name a variable declared under `load.vars` or the task's
`vars` (a CSV variable declares its columns), or one captured by an earlier step of the same
sequence or by another task. A CSV file must exist inside the repo and have a header row and
at least one data row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from envsim.config.interpolate import SecretText
from envsim.config.refs import check_path, mapping, sequence
from envsim.config.schema_check import did_you_mean
from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem

_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_csv(path: Path) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """A CSV file's header row (the column names) and its data rows (blank lines skipped)."""
    import csv  # imported here: only a scenario with a CSV variable needs it

    with open(path, newline="", encoding="utf-8") as handle:
        lines = [row for row in csv.reader(handle) if row]
    if not lines:
        return (), ()
    columns = tuple(c.strip() for c in lines[0])
    return columns, tuple(tuple(row) for row in lines[1:])


def var_uses(value: Any, where: TreePath) -> Iterator[tuple[TreePath, str]]:
    """(where, variable) for every `${var.NAME}` in a value (strings, lists, mappings)."""
    if isinstance(value, SecretText):
        for name in value.template.vars:
            yield where, name
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from var_uses(item, where + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from var_uses(item, where + (index,))


def _request_uses(step: dict[str, Any], where: TreePath) -> Iterator[tuple[TreePath, str]]:
    for key in ("request", "headers", "json"):
        if key in step:
            yield from var_uses(step[key], where + (key,))


def _captures(step: dict[str, Any]) -> list[str]:
    return [name for name in mapping(step.get("capture")) if isinstance(name, str)]


def _declared(doc: YamlDoc, written: Any, where: TreePath, root: Path, problems: list[Problem]) -> list[str]:
    """Names a `vars:` mapping makes available (a CSV's columns instead of its own name)."""
    names: list[str] = []
    for name, spec in mapping(written).items():
        spec = mapping(spec)
        if (
            "int" in spec
            and isinstance(spec["int"], list)
            and len(spec["int"]) == 2
            and all(isinstance(v, int) for v in spec["int"])
            and spec["int"][0] > spec["int"][1]
        ):
            problems.append(
                doc.problem(where + (name, "int"), f"the range is empty: {spec['int'][0]} > {spec['int'][1]}")
            )
        if "csv" not in spec:
            names.append(name)
            continue
        value = spec["csv"]
        found = check_path(doc, where + (name, "csv"), value, root)
        if found is not None:
            problems.append(found)
            continue
        if not isinstance(value, str):
            continue
        try:
            columns, rows = read_csv(doc.source_of(where + (name, "csv")).parent / value)
        except (OSError, UnicodeDecodeError) as error:
            problems.append(doc.problem(where + (name, "csv"), f"cannot read '{value}': {error}"))
            continue
        bad = [c for c in columns if not _VAR_NAME.match(c)]
        if not columns or not rows:
            problems.append(
                doc.problem(where + (name, "csv"), f"'{value}' needs a header row and at least one data row")
            )
        elif bad:
            problems.append(
                doc.problem(
                    where + (name, "csv"),
                    f"column '{bad[0]}' of '{value}' is not a variable name (letters, digits and '_')",
                )
            )
        elif any(len(row) != len(columns) for row in rows):
            line = next(i for i, row in enumerate(rows) if len(row) != len(columns)) + 2
            problems.append(doc.problem(where + (name, "csv"), f"'{value}' line {line} has not {len(columns)} fields"))
        names += list(columns)
    return names


def check_flows(doc: YamlDoc, load: dict[str, Any], root: Path) -> list[Problem]:
    problems: list[Problem] = []
    common = _declared(doc, load.get("vars"), ("load", "vars"), root, problems)
    tasks = [mapping(t) for t in sequence(load.get("tasks"))]
    captured_by = [
        [name for step in [task, *map(mapping, sequence(task.get("steps")))] for name in _captures(step)]
        for task in tasks
    ]
    for index, task in enumerate(tasks):
        where = ("load", "tasks", index)
        own = _declared(doc, task.get("vars"), where + ("vars",), root, problems)
        elsewhere = [name for other, names in enumerate(captured_by) if other != index for name in names]
        known = [*common, *own, *elsewhere]
        steps = sequence(task.get("steps"))
        pieces = [(where + ("steps", i), mapping(step)) for i, step in enumerate(steps)] if steps else [(where, task)]
        for place, step in pieces:
            for at, name in _request_uses(step, place):
                if name not in known:
                    problems.append(
                        doc.problem(
                            at,
                            f"unknown variable '{name}': not declared under vars nor captured "
                            f"earlier{did_you_mean(name, known)}",
                        )
                    )
            known += _captures(step)
    return problems
