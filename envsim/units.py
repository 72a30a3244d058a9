"""Parsing of the human units used in envsim files: durations, percentages, byte sizes.

Each parser returns None for text it does not understand; the schema patterns decide what
is accepted, these only convert.
"""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_DURATION_FACTORS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_SIZE_FACTORS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}

# Mirrors of the patterns above, for the JSON Schema (one statement of what is accepted).
DURATION_PATTERN = r"^\s*\d+(\.\d+)?\s*(ms|s|m|h)?\s*$"
PERCENT_PATTERN = r"^\s*\d+(\.\d+)?\s*%\s*$"
SIZE_PATTERN = r"^\s*\d+(\.\d+)?\s*[kKmMgGtT]?[iI]?[bB]?\s*$"


def parse_duration(value: object) -> float | None:
    """Seconds from `300ms`, `30s`, `3m`, `1h` or a bare number of seconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    if not match:
        return None
    return float(match.group(1)) * _DURATION_FACTORS[match.group(2)]


def parse_percent(value: object) -> float | None:
    """A fraction in [0, 1] from `20%`, or from a bare number already in [0, 1]."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if 0 <= value <= 1 else None
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1])
        except ValueError:
            return None
        return number / 100 if 0 <= number <= 100 else None
    return None


def percent_out_of_range(value: object) -> bool:
    """`150%`: the right form (the schema accepts it) but not a share of anything."""
    return isinstance(value, str) and re.match(PERCENT_PATTERN, value) is not None and parse_percent(value) is None


def parse_size(value: object) -> int | None:
    """Bytes from `512m`, `1g`, `100KB`, `64KiB` or a bare number of bytes (binary multiples)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _SIZE.match(value)
    if not match:
        return None
    return int(float(match.group(1)) * _SIZE_FACTORS[match.group(2).lower()])


def format_duration(seconds: float) -> str:
    if 0 < seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds == int(seconds):
        whole = int(seconds)
        if whole % 3600 == 0:
            return f"{whole // 3600}h"
        if whole % 60 == 0:
            return f"{whole // 60}m"
        return f"{whole}s"
    return f"{seconds:g}s"


def format_size(size: int) -> str:
    """`512m` for 536870912: the largest binary unit that divides the size exactly."""
    for suffix, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{suffix}"
    return str(size)
