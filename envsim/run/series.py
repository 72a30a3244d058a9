"""Turns per-second wire records from the Locust child into journal StatsPoints."""

from __future__ import annotations

from envsim.journal import ALL_ENDPOINTS, StatsPoint
from envsim.run.second_buckets import SecondRecord, merge_records


def points_of(record: SecondRecord) -> tuple[StatsPoint, ...]:
    """One point per endpoint plus the ALL_ENDPOINTS aggregate (always present, even when idle)."""
    t, users = int(record["t"]), int(record["users"])
    points = []
    total_requests = total_failures = 0
    total_histogram: dict[int, int] = {}
    for name in sorted(record["endpoints"]):
        requests, failures, histogram = record["endpoints"][name]
        total_requests += requests
        total_failures += failures
        for ms, n in histogram:
            total_histogram[ms] = total_histogram.get(ms, 0) + n
        points.append(
            StatsPoint(
                t=t,
                endpoint=name,
                requests=requests,
                failures=failures,
                response_times=tuple((int(ms), int(n)) for ms, n in histogram),
                users=users,
            )
        )
    aggregate = StatsPoint(
        t=t,
        endpoint=ALL_ENDPOINTS,
        requests=total_requests,
        failures=total_failures,
        response_times=tuple(sorted(total_histogram.items())),
        users=users,
    )
    return (aggregate, *points)


class SeriesBuilder:
    """Accumulates records; a second that arrives twice (late worker data) is merged."""

    def __init__(self) -> None:
        self._records: dict[int, SecondRecord] = {}

    def add(self, record: SecondRecord) -> tuple[StatsPoint, ...]:
        """Store a record and return the points of that second as known now."""
        t = int(record["t"])
        self._records[t] = merge_records(self._records.get(t), record, add_users=False)
        return points_of(self._records[t])

    def series(self) -> tuple[StatsPoint, ...]:
        """All points, by second then endpoint (the aggregate first in each second)."""
        return tuple(point for t in sorted(self._records) for point in points_of(self._records[t]))

    @property
    def seconds(self) -> int:
        return len(self._records)
