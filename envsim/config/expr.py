"""The small expression language of `http` result checks: `sold <= 100`, `sold + stock == 100`.

A tokenizer and a recursive-descent parser over numbers, dotted JSON paths (`stock.A1`,
`items.0.qty`), `true`/`false`, `+ - * /`, parentheses, comparisons (`< <= > >= == !=`,
chained as in `0 <= sold <= 100`) and `and`/`or`/`not`. Nothing else: no calls, no
attributes, no strings — and never Python's `eval`. Parsed when the scenario is loaded
(errors carry the character offset), evaluated by the verdict against the JSON values the
probe recorded, so a saved journal can be judged again.

Grammar:
    expr       := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | PATH | "true" | "false" | "(" expr ")"
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 1000
MAX_DEPTH = 50

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+))*)"
    r"|(?P<op><=|>=|==|!=|<|>|\+|-|\*|/|\(|\)))"
)
_COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
_WORDS = ("and", "or", "not", "true", "false")


class ExprError(ValueError):
    """A mistake in an expression (offset: 0-based character position) or in its evaluation."""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Token:
    kind: str  # number, path, op, word, end
    text: str
    offset: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens: list[Token] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            tokens.append(Token("end", "", position))
            return tokens
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            char = text[position]
            hint = " (use == to compare)" if char == "=" else " (strings are not supported)" if char in "'\"" else ""
            raise ExprError(f"unexpected character {char!r}{hint}", position)
        kind = match.lastgroup or "op"
        value = match.group(kind)
        start = match.start(kind)
        if kind == "path" and value in _WORDS:
            kind = "word"
        tokens.append(Token(kind, value, start))
        position = match.end()


# AST nodes are plain tuples: ("num", float) ("bool", b) ("path", "a.b") ("neg", x)
# ("arith", op, x, y) ("cmp", [x, y, ...], [ops]) ("and", x, y) ("or", x, y) ("not", x)
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, kind: str, *texts: str) -> bool:
        return self.current.kind == kind and (not texts or self.current.text in texts)

    def parse(self) -> Node:
        node = self.expr()
        if not self.at("end"):
            raise ExprError(f"unexpected {self._describe(self.current)}", self.current.offset)
        return node

    def _describe(self, token: Token) -> str:
        return "end of expression" if token.kind == "end" else repr(token.text)

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("expression nested too deeply", self.current.offset)
        node = self.conjunction()
        while self.at("word", "or"):
            self.take()
            node = ("or", node, self.conjunction())
        self.depth -= 1
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self.at("word", "and"):
            self.take()
            node = ("and", node, self.negation())
        return node

    def negation(self) -> Node:
        if self.at("word", "not"):
            self.take()
            return ("not", self.negation())
        return self.comparison()

    def comparison(self) -> Node:
        operands = [self.sum()]
        ops: list[str] = []
        while self.at("op", *_COMPARISONS):
            ops.append(self.take().text)
            operands.append(self.sum())
        return ("cmp", tuple(operands), tuple(ops)) if ops else operands[0]

    def sum(self) -> Node:
        node = self.product()
        while self.at("op", "+", "-"):
            op = self.take().text
            node = ("arith", op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("op", "*", "/"):
            op = self.take().text
            node = ("arith", op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.atom()

    def atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.take()
            return ("num", float(token.text))
        if token.kind == "path":
            self.take()
            return ("path", token.text)
        if token.kind == "word" and token.text in ("true", "false"):
            self.take()
            return ("bool", token.text == "true")
        if self.at("op", "("):
            self.take()
            node = self.expr()
            if not self.at("op", ")"):
                raise ExprError(f"expected ')' but found {self._describe(self.current)}", self.current.offset)
            self.take()
            return node
        raise ExprError(f"expected a number, a JSON field or '(' but found {self._describe(token)}", token.offset)


def _kind(node: Node) -> str:
    """'num', 'bool' or 'any' (a JSON field: known only when the answer arrives)."""
    tag = node[0]
    if tag in ("num", "neg", "arith"):
        return "num"
    if tag in ("bool", "cmp", "and", "or", "not"):
        return "bool"
    return "any"


def _type_check(node: Node, text: str) -> None:
    tag = node[0]
    if tag == "neg":
        _type_check(node[1], text)
        if _kind(node[1]) == "bool":
            raise ExprError("'-' needs a number, not a true/false value")
    elif tag == "arith":
        for operand in node[2:]:
            _type_check(operand, text)
            if _kind(operand) == "bool":
                raise ExprError(f"'{node[1]}' needs numbers, not a true/false value")
    elif tag == "cmp":
        for operand in node[1]:
            _type_check(operand, text)
        for op, left, right in zip(node[2], node[1], node[1][1:]):
            kinds = {_kind(left), _kind(right)}
            if op not in ("==", "!=") and "bool" in kinds:
                raise ExprError(f"'{op}' compares numbers, not true/false values")
            if kinds == {"num", "bool"}:
                raise ExprError(f"'{op}' compares a number with a true/false value")
    elif tag in ("and", "or"):
        for operand in node[1:]:
            _type_check(operand, text)
            if _kind(operand) == "num":
                raise ExprError(f"'{tag}' needs comparisons or true/false values, not a number")
    elif tag == "not":
        _type_check(node[1], text)
        if _kind(node[1]) == "num":
            raise ExprError("'not' needs a comparison or a true/false value, not a number")


def parse(text: str) -> Node:
    """The expression's tree; ExprError (with an offset into `text`) when it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression")
    node = _Parser(text).parse()
    _type_check(node, text)
    if _kind(node) == "num":
        raise ExprError("the expression is a number, not a condition: compare it, e.g. 'sold <= 100'")
    return node


def paths(node: Node) -> tuple[str, ...]:
    """The JSON fields an expression reads, in order of first use."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, tuple) and item and item[0] == "path":
            if item[1] not in found:
                found.append(item[1])
        elif isinstance(item, tuple):
            for part in item:
                walk(part)

    walk(node)
    return tuple(found)


MISSING = object()


def read_path(document: Any, path: str) -> Any:
    """The value at a dotted path of a JSON document (`items.0.qty`), or MISSING."""
    value = document
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def recorded_value(value: Any) -> Any:
    """What a probe keeps of a JSON value: scalars as they are, containers by their kind."""
    if isinstance(value, dict):
        return "<object>"
    if isinstance(value, list):
        return "<array>"
    return value


def evaluate(node: Node, values: Mapping[str, Any]) -> bool:
    """The expression's truth for the recorded values; ExprError when a value does not fit."""
    result = _eval(node, values)
    if not isinstance(result, bool):
        raise ExprError(f"the expression gave {result!r}, not true or false")
    return result


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExprError(f"{what} is {_show(value)}, not a number")
    return float(value)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str) and value in ("<object>", "<array>"):
        return "an " + value.strip("<>")
    return repr(value)


def _eval(node: Node, values: Mapping[str, Any]) -> Any:
    tag = node[0]
    if tag in ("num", "bool"):
        return node[1]
    if tag == "path":
        if node[1] not in values:
            raise ExprError(f"the answer has no field '{node[1]}'")
        return values[node[1]]
    if tag == "neg":
        return -_number(_eval(node[1], values), _describe(node[1]))
    if tag == "arith":
        op, left, right = node[1], node[2], node[3]
        a = _number(_eval(left, values), _describe(left))
        b = _number(_eval(right, values), _describe(right))
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            raise ExprError(f"division by zero ({_describe(right)} is 0)")
        return a / b
    if tag == "cmp":
        operands = [_eval(item, values) for item in node[1]]
        for op, left, right, a, b in zip(node[2], node[1], node[1][1:], operands, operands[1:]):
            if not _compare(op, a, b, left, right):
                return False
        return True
    if tag == "and":
        return _truth(_eval(node[1], values), node[1]) and _truth(_eval(node[2], values), node[2])
    if tag == "or":
        return _truth(_eval(node[1], values), node[1]) or _truth(_eval(node[2], values), node[2])
    if tag == "not":
        return not _truth(_eval(node[1], values), node[1])
    raise ExprError(f"unknown expression node {tag!r}")


def _truth(value: Any, node: Node) -> bool:
    if not isinstance(value, bool):
        raise ExprError(f"{_describe(node)} is {_show(value)}, not true or false")
    return value


def _compare(op: str, a: Any, b: Any, left: Node, right: Node) -> bool:
    if op in ("==", "!=") and (isinstance(a, bool) or isinstance(b, bool) or a is None or b is None):
        same = a is b if (isinstance(a, bool) or a is None) else a == b
        return same if op == "==" else not same
    x, y = _number(a, _describe(left)), _number(b, _describe(right))
    if op == "==":
        return math.isclose(x, y, rel_tol=0, abs_tol=1e-9)
    if op == "!=":
        return not math.isclose(x, y, rel_tol=0, abs_tol=1e-9)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _describe(node: Node) -> str:
    if node[0] == "path":
        return f"'{node[1]}'"
    return "a value"
