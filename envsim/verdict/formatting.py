"""Values and bounds as people read them (shared by the CLI table and every report)."""

from __future__ import annotations

import math

from envsim.verdict.result import CheckResult

# How a bound is shown beside a measured value ("= 54"), unlike a label's "==".
COMPARATOR_SYMBOLS = {"below": "<", "above": ">", "equals": "=", "at_most": "<=", "at_least": ">="}


def _trim(number: float) -> str:
    """Two decimals at most, without trailing zeros: 10s not 10.00s, 3.97s, 0.5%."""
    return f"{number:.2f}".rstrip("0").rstrip(".")


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    if unit == "s":
        return f"{value * 1000:.0f}ms" if value < 1 else f"{_trim(value)}s"
    if unit == "ratio":
        return f"{_trim(value * 100)}%"
    if unit == "rps":
        return f"{value:.1f}/s"
    if unit == "condition":  # an http check's `expect`: 1 held, 0 did not
        return "true" if value else "false"
    if unit in ("count", "status"):
        return f"{value:g}"
    return f"{value:g}"


def format_bound(result: CheckResult) -> str:
    symbol = COMPARATOR_SYMBOLS.get(result.comparator, result.comparator)
    return f"{symbol} {format_value(result.bound, result.unit)}".strip()
