"""Declarative flows in the load generator: per-user variables, captures, request rendering.

Plain data in, plain data out (no Locust here), so the rules are testable on their own. The
child config writes text that uses variables as a list of parts: strings and {"var": NAME}
(secrets are already filled in by the parent). See docs/format.md, "Declarative flows".

Variables under `load.vars` are drawn once per user, with the user's number (0, 1, ... in
the order users start; with workers, unique across workers) choosing the counter value and
the CSV row. Variables of a task are drawn each time the task runs, its counter and CSV row
advancing with every run of that task. A capture stores a value from an answer in the user's
variables, for that user's later requests.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Callable, Mapping
from typing import Any

# draws given no generator (what the random module's own functions are: one shared Random)
_RANDOM = random.Random()


class MissingVariable(Exception):
    """A request uses a variable this user has not got (yet): the request is not sent."""


class CaptureFailed(Exception):
    """The answer has not got the value a capture names."""


def draw(variables: list[dict[str, Any]], index: int, rng: random.Random | None = None) -> dict[str, Any]:
    """Values of `vars` for one draw; `index` picks the counter value and the CSV row."""
    rng = rng or _RANDOM
    values: dict[str, Any] = {}
    for var in variables:
        kind, args = var["kind"], var.get("args") or []
        if kind == "uuid":
            values[var["name"]] = str(uuid.uuid4())
        elif kind == "counter":
            values[var["name"]] = int(args[0]) + index
        elif kind == "int":
            values[var["name"]] = rng.randint(int(args[0]), int(args[1]))
        elif kind == "choice":
            values[var["name"]] = rng.choice(list(args))
        elif kind == "csv":
            columns, rows = args
            values.update(zip(columns, rows[index % len(rows)]))
        else:
            raise ValueError(f"unknown variable kind {kind!r}")
    return values


def _value(name: str, values: Mapping[str, Any]) -> Any:
    if name not in values:
        raise MissingVariable(f"variable '{name}' has no value for this user (not captured yet)")
    return values[name]


def render_text(text: str | list[Any], values: Mapping[str, Any]) -> str:
    """A path or header: a plain string, or parts whose variables are filled in."""
    if isinstance(text, str):
        return text
    return "".join(p if isinstance(p, str) else _as_text(_value(p["var"], values)) for p in text)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def render_json(body: Any, templates: list[Any] | None, values: Mapping[str, Any]) -> Any:
    """The body with its templated strings filled in. A string that is one variable and
    nothing else takes the variable's value as it is (a number stays a number)."""
    if not templates:
        return body
    body = copy.deepcopy(body)
    for where, parts in templates:
        if len(parts) == 1 and isinstance(parts[0], dict):
            value = _value(parts[0]["var"], values)
        else:
            value = render_text(parts, values)
        if not where:
            return value
        holder = body
        for key in where[:-1]:
            holder = holder[key]
        holder[where[-1]] = value
    return body


def capture(source: str, body: Callable[[], Any], header: Callable[[str], str | None]) -> Any:
    """The value `json.a.0.b` or `header.Name` names in an answer."""
    kind, _, rest = source.partition(".")
    if kind == "header":
        value = header(rest)
        if value is None:
            raise CaptureFailed(f"capture {source}: the answer has no header {rest}")
        return value
    try:
        value = body()
    except ValueError:
        raise CaptureFailed(f"capture {source}: the answer is not JSON") from None
    for key in rest.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.lstrip("-").isdigit() and -len(value) <= int(key) < len(value):
            value = value[int(key)]
        else:
            raise CaptureFailed(f"capture {source}: no '{key}' in the answer")
    return value
