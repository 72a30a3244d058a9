"""Metrics over a window, computed exactly from the journal's per-second latency histograms.

Histograms of the buckets in a window are merged (counts added per millisecond value), so a
percentile over a window is the exact nearest-rank percentile of every response time
recorded in it, not an average of per-second percentiles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from envsim.journal import ALL_ENDPOINTS, Journal, StatsPoint, percentile_ms
from envsim.verdict.phases import Buckets, Interval

PERCENTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class WindowStats:
    requests: int
    failures: int
    seconds: int  # buckets covered by the window (seconds of load)
    histogram: tuple[tuple[int, int], ...]  # merged (milliseconds, count), sorted

    @property
    def successes(self) -> int:
        return self.requests - self.failures

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.requests if self.requests else None

    @property
    def rps(self) -> float | None:
        return self.requests / self.seconds if self.seconds else None

    def percentile(self, fraction: float) -> float | None:
        """Nearest-rank percentile in seconds (envsim.journal.percentile_ms)."""
        millis = percentile_ms(self.histogram, fraction)
        return None if millis is None else millis / 1000

    @property
    def average(self) -> float | None:
        total = sum(count for _, count in self.histogram)
        if total == 0:
            return None
        return sum(millis * count for millis, count in self.histogram) / total / 1000

    @property
    def maximum(self) -> float | None:
        return self.histogram[-1][0] / 1000 if self.histogram else None

    def metric(self, name: str) -> float | None:
        if name in PERCENTILES:
            return self.percentile(PERCENTILES[name])
        if name == "avg":
            return self.average
        if name == "max":
            return self.maximum
        if name == "error_rate":
            return self.error_rate
        if name == "rps":
            return self.rps
        raise ValueError(f"unknown metric {name!r}")


def merge_histograms(histograms: Iterable[Iterable[tuple[int, int]]]) -> tuple[tuple[int, int], ...]:
    merged: Counter[int] = Counter()
    for histogram in histograms:
        for millis, count in histogram:
            merged[millis] += count
    return tuple(sorted((millis, count) for millis, count in merged.items() if count > 0))


def endpoint_keys(journal: Journal) -> tuple[str, ...]:
    return tuple(sorted({p.endpoint for p in journal.series if p.endpoint != ALL_ENDPOINTS}))


def resolve_endpoint(journal: Journal, endpoint: str | None) -> tuple[str, ...] | None:
    """The series keys that stand for `endpoint`; None when the journal has no such endpoint.

    A check may name a task ("checkout") or its request ("POST /orders"); the journal's
    `extra["endpoints"]` (task name -> "METHOD /path"), when the run recorded it, links the two.
    """
    if endpoint is None:
        return (ALL_ENDPOINTS,)
    keys = set(endpoint_keys(journal))
    if endpoint in keys:
        return (endpoint,)
    aliases: Mapping[str, str] = journal.extra.get("endpoints") or {}
    if endpoint in aliases and aliases[endpoint] in keys:
        return (aliases[endpoint],)
    tasks = tuple(sorted(name for name, request in aliases.items() if request == endpoint and name in keys))
    return tasks or None


def points_for(journal: Journal, keys: tuple[str, ...]) -> list[StatsPoint]:
    """The points of the given series; the aggregate is summed from endpoints if it was not recorded."""
    if keys == (ALL_ENDPOINTS,):
        aggregate = [p for p in journal.series if p.endpoint == ALL_ENDPOINTS]
        return aggregate or [p for p in journal.series if p.endpoint != ALL_ENDPOINTS]
    wanted = set(keys)
    return [p for p in journal.series if p.endpoint in wanted]


def window_stats(points: Iterable[StatsPoint], intervals: Iterable[Interval]) -> WindowStats:
    buckets = Buckets.of(intervals)
    chosen = [p for p in points if p.t in buckets]
    return WindowStats(
        requests=sum(p.requests for p in chosen),
        failures=sum(p.failures for p in chosen),
        seconds=len(buckets),
        histogram=merge_histograms(p.response_times for p in chosen),
    )


def per_second(points: Iterable[StatsPoint], seconds: range) -> dict[int, WindowStats]:
    """One WindowStats per second, for time series (recovery, charts)."""
    by_t: dict[int, list[StatsPoint]] = {}
    for point in points:
        by_t.setdefault(point.t, []).append(point)
    result = {}
    for t in seconds:
        chosen = by_t.get(t, [])
        result[t] = WindowStats(
            requests=sum(p.requests for p in chosen),
            failures=sum(p.failures for p in chosen),
            seconds=1,
            histogram=merge_histograms(p.response_times for p in chosen),
        )
    return result
