"""`${env.VAR:-default}`, `${secret.NAME}` and `$$` inside string values.

Environment references are resolved while loading, from the mapping the caller passes (the
CLI passes os.environ; nothing here reads it). Secret references stay symbolic: a string
that mentions a secret becomes a `SecretText`, a str (so the schema sees a string, shown
redacted) that carries the `Template` the model keeps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from envsim.config.schema_check import did_you_mean
from envsim.config.template import SecretRef, Template, VarRef
from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem

_TOKEN = re.compile(r"\$\$|\$\{([^}]*)(\}?)")
_SECRET = re.compile(r"^secret\.([A-Za-z_][A-Za-z0-9_-]*)$")
_VAR = re.compile(r"^var\.([A-Za-z_][A-Za-z0-9_]*)$")
_ENV = re.compile(r"^env\.([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)

# Where a secret may appear: only where a container or a request needs the value.
SECRET_PLACES: tuple[tuple[str, ...], ...] = (
    ("services", "*", "env", "*"),
    ("services", "*", "stub", "auth", "bearer"),
    ("services", "*", "stub", "auth", "api_key", "value"),
    ("load", "tasks", "*", "headers", "*"),
    ("load", "tasks", "*", "steps", "*", "headers", "*"),
)

# Where a load variable may appear: a request's line, headers and JSON body (any depth).
VAR_PLACES: tuple[tuple[str, ...], ...] = (
    ("load", "tasks", "*", "request"),
    ("load", "tasks", "*", "headers", "*"),
    ("load", "tasks", "*", "json", "**"),
    ("load", "tasks", "*", "steps", "*", "request"),
    ("load", "tasks", "*", "steps", "*", "headers", "*"),
    ("load", "tasks", "*", "steps", "*", "json", "**"),
)


class SecretText(str):
    """A string value that mentions secrets or load variables; its text is the redacted form
    (variables shown as written, `${var.NAME}`)."""

    template: Template

    def __new__(cls, template: Template) -> SecretText:
        text = super().__new__(cls, template.redacted())
        text.template = template
        return text


def as_template(value: Any) -> Template:
    if isinstance(value, SecretText):
        return value.template
    if isinstance(value, bool):
        return Template.literal("true" if value else "false")
    return Template.literal("" if value is None else str(value))


def _secret_allowed(path: TreePath) -> bool:
    return _matches(SECRET_PLACES, path)


def _matches(places: tuple[tuple[str, ...], ...], path: TreePath) -> bool:
    for place in places:
        if place[-1] == "**":
            head = place[:-1]
            if len(path) >= len(head) and all(p == "*" or p == q for p, q in zip(head, path)):
                return True
        elif len(place) == len(path) and all(p == "*" or p == q for p, q in zip(place, path)):
            return True
    return False


def interpolate(doc: YamlDoc, env: Mapping[str, str], secrets: set[str] | None) -> list[Problem]:
    """Resolve references in every string of `doc.data` in place; return what was wrong.

    `secrets` are the defined credential names, or None when they are unknown (an unloadable
    profile), in which case secret names are not checked.
    """
    problems: list[Problem] = []
    doc.data = _walk(doc, doc.data, (), env, secrets, problems)
    return problems


def _walk(
    doc: YamlDoc, value: Any, path: TreePath, env: Mapping[str, str], secrets: set[str] | None, problems: list[Problem]
) -> Any:
    if isinstance(value, dict):
        return {k: _walk(doc, v, path + (k,), env, secrets, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(doc, v, path + (i,), env, secrets, problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _expand(doc, value, path, env, secrets, problems)
    return value


def _secret_problems(doc: YamlDoc, path: TreePath, name: str, secrets: set[str] | None) -> list[Problem]:
    if not _secret_allowed(path):
        return [
            doc.problem(
                path,
                f"'${{secret.{name}}}' is not allowed here: secrets may be used in "
                "service env values, stub auth and task headers only",
            )
        ]
    if secrets is not None and name not in secrets:
        return [
            doc.problem(path, f"unknown secret '{name}': not defined under credentials{did_you_mean(name, secrets)}")
        ]
    return []


def _env_value(
    doc: YamlDoc, path: TreePath, variable: str, default: str | None, env: Mapping[str, str], problems: list[Problem]
) -> str:
    """`${env.VAR:-default}`: the caller's variable, else the default, else a problem and ''."""
    if variable in env:
        return env[variable]
    if default is not None:
        return default
    problems.append(
        doc.problem(
            path, f"environment variable '{variable}' is not set (give a default with '${{env.{variable}:-default}}')"
        )
    )
    return ""


def _var_problems(doc: YamlDoc, path: TreePath, name: str) -> list[Problem]:
    if _matches(VAR_PLACES, path):
        return []
    message = f"'${{var.{name}}}' is not allowed here: load variables may be used in a task's request, headers and json"
    return [doc.problem(path, message)]


def _unknown_reference(doc: YamlDoc, path: TreePath, inner: str) -> Problem:
    return doc.problem(
        path,
        f"unknown reference '${{{inner}}}': use ${{secret.NAME}}, ${{env.VAR}}, "
        "${env.VAR:-default} or '$$' for a literal '$'",
    )


def _expand(
    doc: YamlDoc, text: str, path: TreePath, env: Mapping[str, str], secrets: set[str] | None, problems: list[Problem]
) -> str:
    parts: list[str | SecretRef | VarRef] = []
    literal = ""
    position = 0
    for match in _TOKEN.finditer(text):
        literal += text[position : match.start()]
        position = match.end()
        token = match.group(0)
        if token == "$$":
            literal += "$"
            continue
        if not match.group(2):
            problems.append(
                doc.problem(path, f"unterminated '${{' in {text!r}: close it with '}}' or write '$$' for a literal '$'")
            )
            continue
        inner = match.group(1)
        secret = _SECRET.match(inner)
        env_ref = _ENV.match(inner)
        var = _VAR.match(inner)
        if var:
            problems.extend(_var_problems(doc, path, var.group(1)))
            parts.extend([literal, VarRef(var.group(1))])
            literal = ""
        elif secret:
            problems.extend(_secret_problems(doc, path, secret.group(1), secrets))
            parts.extend([literal, SecretRef(secret.group(1))])
            literal = ""
        elif env_ref:
            literal += _env_value(doc, path, env_ref.group(1), env_ref.group(2), env, problems)
        else:
            problems.append(_unknown_reference(doc, path, inner))
    literal += text[position:]
    if not any(isinstance(p, (SecretRef, VarRef)) for p in parts):
        return "".join(p for p in parts if isinstance(p, str)) + literal
    parts.append(literal)
    return SecretText(Template(tuple(p for p in parts if p != "")))
