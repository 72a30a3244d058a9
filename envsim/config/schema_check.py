"""Checking a loaded tree against the packaged JSON Schema, with readable located messages.

jsonschema's own messages are Python reprs ("'x' is not of type 'object'"); users get
`file:line:col: path: message` instead, with "did you mean" for near-miss keys. Schemas
may carry an `x-expected` annotation: a human description of what a value should be.

Most files are valid, so a compiled validator (jsonschema-rs) answers "valid?" first, in
microseconds and without importing jsonschema; only a file it rejects is walked again by
jsonschema, whose errors carry the schema paths the messages are made from. jsonschema has
the last word: whatever the fast check rejects, jsonschema decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Set
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema import Draft202012Validator, ValidationError

SCHEMA_DIR = Path(__file__).parent / "schemas"
KINDS = ("profile", "scenario")

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing (null)",
}


def schema_text(kind: str) -> str:
    return (SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8")


@cache
def _validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # imported here: only an invalid file needs it

    return Draft202012Validator(json.loads(schema_text(kind)))


@cache
def _fast_validator(kind: str) -> jsonschema_rs.Validator:
    import jsonschema_rs

    # jsonschema doesn't assert formats unless asked; neither may the fast check
    return jsonschema_rs.Draft202012Validator(json.loads(schema_text(kind)), validate_formats=False)


def surely_valid(data: Any, kind: str) -> bool:
    """True when the compiled validator accepts `data`; False sends it to jsonschema."""
    try:
        return bool(_fast_validator(kind).is_valid(_plain(data)))
    except (_OutOfScope, ValueError, TypeError, OverflowError):  # or a value it can't convert: an int beyond 64 bits
        return False


# Text the two regex engines (Python's re, Rust's regex) read alike. Beyond printable ASCII they
# part: Python's \s also matches \x1c-\x1f, and each knows the digits of its own Unicode version.
_ENGINES_AGREE = re.compile(r"[\t\n\r\x20-\x7e]*")


class _OutOfScope(Exception):
    """A tree the fast check can't vouch for; jsonschema judges it."""


def _plain(value: Any) -> Any:
    """The tree with str subclasses (interpolated secrets are SecretText) as plain str, since
    jsonschema-rs converts exact JSON types only; text the regex engines may read differently
    raises _OutOfScope."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        if not _ENGINES_AGREE.fullmatch(value):
            raise _OutOfScope
        return str(value)
    return value


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'X'?` for a close match among `choices`, else an empty string."""
    import difflib  # imported here: valid files never need it

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def describe(value: Any) -> str:
    """A value as it appears in a message: short, never a Python repr of a big structure."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"'{text}'"
    return str(value)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return describe(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {describe(value)}"
    return str(value)


def check_schema(doc: YamlDoc, kind: str) -> list[Problem]:
    """Every schema violation in `doc.data`, located, deduplicated and in file order."""
    if surely_valid(doc.data, kind):
        return []
    problems: list[Problem] = []
    for error in _validator(kind).iter_errors(doc.data):
        problems.extend(_problems_for(doc, error))
    return sorted(set(problems))


def _problems_for(doc: YamlDoc, error: ValidationError) -> list[Problem]:
    path: TreePath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    # jsonschema sets both on every error it yields; Unset is only a constructor default
    validator = cast(str, error.validator)
    value: Any = error.validator_value
    instance = error.instance

    if "propertyNames" in error.schema_path:
        key_path = path + (instance,)
        expected = schema.get("x-expected", "a valid name")
        return [doc.problem(key_path, f"invalid name '{instance}': expected {expected}", key=True)]

    if validator == "not" and "dependentSchemas" in error.schema_path:
        return _forbidden_combination(doc, error, path)

    if validator == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        extras = [k for k in instance if k not in allowed] if isinstance(instance, dict) else []
        return [doc.problem(path + (key,), _unknown_key(key, allowed), key=True) for key in extras]

    if validator == "required":
        missing = [k for k in value if isinstance(instance, dict) and k not in instance]
        return [doc.problem(path, f"missing required key '{key}'", key=True) for key in missing]

    if validator in ("oneOf", "anyOf") and _branches_are_required_keys(value):
        known = set(schema.get("properties", {}))  # keys the object may have are not near misses
        return [doc.problem(path, _choice_message(validator, value, instance, known), key=True)]

    if validator == "dependentRequired":
        messages = []
        for key, needs in value.items():
            if isinstance(instance, dict) and key in instance:
                for other in needs:
                    if other not in instance:
                        messages.append(doc.problem(path + (key,), f"'{key}' needs '{other}' as well", key=True))
        return messages

    if "x-expected" in schema and validator in ("type", "pattern", "anyOf", "oneOf", "const"):
        return [doc.problem(path, f"expected {schema['x-expected']}, got {describe(instance)}")]

    return [doc.problem(path, _plain_message(validator, value, instance, error))]


def _unknown_key(key: str, allowed: set[str]) -> str:
    hint = did_you_mean(key, allowed)
    if hint:
        return f"unknown key '{key}'{hint}"
    if allowed and len(allowed) <= 12:
        return f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})"
    return f"unknown key '{key}'"


def _branches_are_required_keys(branches: Any) -> bool:
    return isinstance(branches, list) and all(
        isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1 for b in branches
    )


def _choice_message(validator: str, branches: list[Any], instance: Any, known: Set[str] = frozenset()) -> str:
    keys = [b["required"][0] for b in branches]
    if not isinstance(instance, dict):
        return f"expected a mapping, got {describe(instance)}"
    present = [k for k in keys if k in instance]
    if len(present) > 1:
        return "only one of " + ", ".join(f"'{k}'" for k in present) + " may be given"
    quoted = ", ".join(keys)
    message = f"needs {'exactly ' if validator == 'oneOf' else ''}one of: {quoted}"
    for written in (k for k in instance if k not in known):
        hint = did_you_mean(written, keys)
        if hint:
            return f"{message} (unknown key '{written}'{hint})"
    return message


def _forbidden_combination(doc: YamlDoc, error: ValidationError, path: TreePath) -> list[Problem]:
    """dependentSchemas {X: {not: {anyOf: [{required: [Y]}, ...]}}}: Y may not appear together with X."""
    schema_path = list(error.schema_path)
    trigger = schema_path[schema_path.index("dependentSchemas") + 1]
    branches = error.validator_value.get("anyOf", []) if isinstance(error.validator_value, dict) else []
    present = [
        k for b in branches for k in b.get("required", []) if isinstance(error.instance, dict) and k in error.instance
    ]
    return [doc.problem(path + (key,), f"'{key}' cannot be combined with '{trigger}'", key=True) for key in present]


def _plain_message(validator: str, expected: Any, instance: Any, error: ValidationError) -> str:
    if validator == "type":
        types: list[str] = expected if isinstance(expected, list) else [expected]
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
        return f"expected {words}, got {_kind_of(instance)}"
    if validator == "enum":
        choices = ", ".join(str(c) for c in expected)
        hint = did_you_mean(instance, [str(c) for c in expected]) if isinstance(instance, str) else ""
        return f"expected one of: {choices}; got {describe(instance)}{hint}"
    if validator == "const":
        return f"expected {describe(expected)}, got {describe(instance)}"
    if validator == "minimum":
        return f"must be at least {expected}, got {describe(instance)}"
    if validator == "maximum":
        return f"must be at most {expected}, got {describe(instance)}"
    if validator == "exclusiveMinimum":
        return f"must be greater than {expected}, got {describe(instance)}"
    if validator == "exclusiveMaximum":
        return f"must be less than {expected}, got {describe(instance)}"
    if validator == "minLength":
        return "must not be empty"
    if validator == "minItems":
        return f"needs at least {expected} item{'s' if expected != 1 else ''}"
    if validator == "maxItems":
        return f"takes at most {expected} item{'s' if expected != 1 else ''}"
    if validator == "minProperties":
        return f"needs at least {expected} entr{'ies' if expected != 1 else 'y'}"
    if validator == "maxProperties":
        return f"takes at most {expected} entr{'ies' if expected != 1 else 'y'}"
    if validator == "uniqueItems":
        return "items must be unique"
    if validator == "pattern":
        return f"{describe(instance)} does not have the expected form ({expected})"
    if validator in ("anyOf", "oneOf"):
        return f"{describe(instance)} is not valid here"
    return error.message
