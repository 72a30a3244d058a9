"""Compose's variable substitution and its `.env` file format, as plain functions on text.

Compose replaces `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
`${VAR?message}`, `${VAR:+other}`, `${VAR+other}` and `$VAR` in every string value (never in
keys), and `$$` is a literal `$`. Defaults may nest (`${A:-${B:-x}}`). An unset variable
without a default becomes an empty string with a warning, as `docker compose` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class SubstitutionError(ValueError):
    """`${VAR:?message}` of an unset variable, or a malformed `${...}`."""


@dataclass
class Substitution:
    """The result of substituting one string: the text, and the variables that were unset."""

    text: str
    unset: list[str] = field(default_factory=list)


def substitute(text: str, variables: Mapping[str, str]) -> Substitution:
    result = Substitution("")
    result.text = _substitute(text, variables, result.unset)
    return result


def _substitute(text: str, variables: Mapping[str, str], unset: list[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$":
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise SubstitutionError(
                    f"unterminated '${{' in {text!r}: close it with '}}' or write '$$' for a literal '$'"
                )
            out.append(_braced(text[i + 2 : end], variables, unset))
            i = end + 1
        else:
            match = _NAME.match(text, i + 1)
            if match is None:
                out.append("$")  # a lone `$` stays, as compose leaves it
                i += 1
                continue
            out.append(_lookup(match.group(0), variables, unset))
            i = match.end()
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _lookup(name: str, variables: Mapping[str, str], unset: list[str]) -> str:
    if name in variables:
        return variables[name]
    unset.append(name)
    return ""


def _braced(inner: str, variables: Mapping[str, str], unset: list[str]) -> str:
    match = _NAME.match(inner)
    if match is None:
        raise SubstitutionError(f"invalid substitution '${{{inner}}}': expected a variable name")
    name, rest = match.group(0), inner[match.end() :]
    if not rest:
        return _lookup(name, variables, unset)
    operator = next((op for op in _OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise SubstitutionError(f"invalid substitution '${{{inner}}}'")
    argument = rest[len(operator) :]
    value = variables.get(name)
    present = value is not None if not operator.startswith(":") else bool(value)
    if operator in (":-", "-"):
        return value if present else _substitute(argument, variables, unset)  # type: ignore[return-value]
    if operator in (":+", "+"):
        return _substitute(argument, variables, unset) if present else ""
    if not present:
        message = _substitute(argument, variables, unset) or "is not set"
        raise SubstitutionError(
            f"required variable '{name}' {'is missing a value: ' if argument else ''}{message}".rstrip()
        )
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class DotenvLine:
    line: int
    message: str


def parse_dotenv(text: str, variables: Mapping[str, str]) -> tuple[dict[str, str], list[DotenvLine]]:
    """`KEY=VALUE` lines (`export` allowed, `#` comments, quoted values), substituted in order.

    `variables` are the names already known (the caller's environment wins over the file, so
    pass it here: a line's value may use it and earlier lines). Returns values and problems.
    """
    values: dict[str, str] = {}
    problems: list[DotenvLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not _NAME.fullmatch(key):
            problems.append(DotenvLine(number, f"not a KEY=VALUE line: {raw.strip()!r}"))
            continue
        if not sep:  # `KEY` alone: taken from the environment when set
            if key in variables:
                values[key] = variables[key]
            continue
        value = value.strip()
        known = {**values, **variables}
        if value[:1] == "'" and value.rstrip().endswith("'") and len(value) > 1:
            values[key] = value[1:-1]  # single quotes: no substitution, as in compose
            continue
        if value[:1] == '"' and len(value) > 1:
            closing = value.rfind('"')
            value = value[1:closing] if closing > 0 else value[1:]
            value = value.replace("\\n", "\n").replace('\\"', '"')
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].rstrip()
        try:
            values[key] = substitute(value, known).text
        except SubstitutionError as error:
            problems.append(DotenvLine(number, str(error)))
    return values, problems
