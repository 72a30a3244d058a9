"""Latency histograms ((milliseconds, count) pairs, sorted): the package's one percentile rule."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile_ms(histogram: Sequence[tuple[int, int]], fraction: float) -> int | None:
    """Nearest rank: the smallest time with at least `fraction` of the samples at or below it.

    None for an empty histogram.
    """
    total = sum(count for _, count in histogram)
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for millis, count in histogram:
        seen += count
        if seen >= rank:
            return millis
    return histogram[-1][0]
