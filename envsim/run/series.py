"""Turns per-second wire records from the Locust child into journal StatsPoints."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from envsim.journal import ALL_ENDPOINTS, FailureReason, StatsPoint
from envsim.run.second_buckets import SecondRecord, merge_records

REDACTED = "<redacted>"


def redactor(secrets: Iterable[str]) -> Callable[[str], str]:
    """Replaces every secret value in a text (longest first, so no secret's tail survives)."""
    values = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(text: str) -> str:
        for value in values:
            text = text.replace(value, REDACTED)
        return text

    return redact


def points_of(record: SecondRecord) -> tuple[StatsPoint, ...]:
    """One point per endpoint plus the ALL_ENDPOINTS aggregate (always present, even when idle)."""
    t, users = int(record["t"]), int(record["users"])
    points = []
    total_requests = total_failures = 0
    total_histogram: dict[int, int] = {}
    for name in sorted(record["endpoints"]):
        entry = record["endpoints"][name]
        requests, failures, histogram = entry[:3]
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
                failure_reasons=tuple(
                    FailureReason(str(k), str(m), int(n)) for k, m, n in (entry[3] if len(entry) > 3 else ())
                ),
            )
        )
    in_flight, oldest = record.get("in_flight") or (0, 0.0)
    aggregate = StatsPoint(
        t=t,
        endpoint=ALL_ENDPOINTS,
        requests=total_requests,
        failures=total_failures,
        response_times=tuple(sorted(total_histogram.items())),
        users=users,
        in_flight=int(in_flight),
        oldest_in_flight=float(oldest),
        started=int(record.get("started") or 0),
    )
    return (aggregate, *points)


class SeriesBuilder:
    """Accumulates records; a second that arrives twice (late requests, workers) is merged.

    Failure messages pass through `redact` before they are kept: a message may quote a header
    or a URL that holds a secret.
    """

    def __init__(self, redact: Callable[[str], str] | None = None) -> None:
        self._records: dict[int, SecondRecord] = {}
        self._redact = redact

    def add(self, record: SecondRecord) -> tuple[StatsPoint, ...]:
        """Store a record and return the points of that second as known now."""
        t = int(record["t"])
        if self._redact is not None:
            record = self._redacted(record)
        self._records[t] = merge_records(self._records.get(t), record, add_users=False)
        return points_of(self._records[t])

    def _redacted(self, record: SecondRecord) -> SecondRecord:
        assert self._redact is not None
        endpoints = {}
        for name, entry in record["endpoints"].items():
            if len(entry) > 3:
                reasons: dict[tuple[str, str], int] = {}
                for kind, message, n in entry[3]:  # two messages may differ only in a secret
                    key = (kind, self._redact(message))
                    reasons[key] = reasons.get(key, 0) + n
                entry = [*entry[:3], sorted([kind, message, n] for (kind, message), n in reasons.items())]
            endpoints[name] = entry
        return {**record, "endpoints": endpoints}

    def series(self) -> tuple[StatsPoint, ...]:
        """All points, by second then endpoint (the aggregate first in each second)."""
        return tuple(point for t in sorted(self._records) for point in points_of(self._records[t]))

    @property
    def seconds(self) -> int:
        return len(self._records)
