"""No function in envsim/ is longer than 50 lines (from its `def` line to its last line, read with `ast`).

A longer function does more than one thing; split it where its parts have names of their own.
"""

from __future__ import annotations

import ast
import functools

from envsim_sources import PACKAGE, parsed

LIMIT = 50

# Functions still over the limit, to be split; an entry that is no longer long must go, so
# the list only shrinks.
STILL_LONG: frozenset[str] = frozenset()


def long_functions(source: str | ast.Module, file: str, limit: int = LIMIT) -> dict[str, int]:
    """`file:name` -> lines, for every function (nested ones too) whose body runs past `limit`."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(source) if isinstance(source, str) else source):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno
            if length > limit:
                found[f"{file}:{node.name}"] = length
    return found


@functools.cache  # read by two tests; neither changes it
def every_long_function() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found.update(long_functions(parsed(path), path.relative_to(PACKAGE).as_posix()))
    return found


def test_no_function_is_over_50_lines():
    found = every_long_function()
    too_long = {name: length for name, length in found.items() if name not in STILL_LONG}
    assert too_long == {}, "functions over 50 lines (split them): " + ", ".join(
        f"{name} ({length})" for name, length in sorted(too_long.items())
    )


def test_the_list_of_long_functions_only_shrinks():
    assert sorted(STILL_LONG - set(every_long_function())) == [], "no longer long: remove from STILL_LONG"


def test_the_counter_sees_a_long_function_and_a_long_nested_one():
    def body(lines: int, indent: str) -> str:
        return "".join(f"{indent}x{i} = {i}\n" for i in range(lines))

    at_the_limit = "def f():\n" + body(LIMIT, "    ")
    nested = (
        "def short():\n    return 1\n\n\ndef outer():\n    def inner():\n"
        + body(LIMIT + 1, "        ")
        + "    return inner\n"
    )
    assert long_functions(at_the_limit, "m.py") == {}
    assert long_functions(nested, "m.py") == {"m.py:inner": LIMIT + 1, "m.py:outer": LIMIT + 3}
