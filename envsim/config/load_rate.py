"""`load.rate` as written ("50/s", "600/m") read as task runs per second."""

from __future__ import annotations

import re

_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|min|h)\s*$")


def per_second(written: str) -> float:
    """Task runs per second of a rate the schema accepted; ValueError for any other text."""
    match = _RATE.match(written)
    if not match:
        raise ValueError(f"not a rate: {written!r}")
    return float(match.group(1)) / _UNIT_SECONDS[match.group(2)]
