"""Per-second request buckets: the wire format between the Locust child and the parent.

Pure Python, no Locust import: the child records into `SecondBuckets` from Locust's request
hook, and the parent and the distributed master merge the plain dicts these produce. One
second on the wire is `{"t": int, "users": int, "endpoints": {name: [requests, failures,
[[ms, count], ...]]}}`, where t counts whole seconds from load start.
"""

from __future__ import annotations

from typing import Any

SecondRecord = dict[str, Any]


def round_response_time(ms: float) -> int:
    """Round like Locust's own stats do, so histograms stay small over long runs."""
    if ms < 100:
        return int(round(ms))
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


class SecondBuckets:
    """Counts requests by the second (from `t0`) in which they completed, per endpoint."""

    def __init__(self, t0: float):
        self.t0 = t0
        # second -> endpoint -> [requests, failures, {ms: count}]
        self._seconds: dict[int, dict[str, list[Any]]] = {}
        self._next = 0  # seconds below this were handed out already

    def second_of(self, when: float) -> int:
        # A request finishing a hair before t0 (clock skew between processes) belongs to 0.
        return max(0, int(when - self.t0))

    def record(self, when: float, name: str, response_time_ms: float | None, failed: bool) -> None:
        second = self.second_of(when)
        endpoints = self._seconds.get(second)
        if endpoints is None:
            endpoints = self._seconds[second] = {}
        entry = endpoints.get(name)
        if entry is None:
            entry = endpoints[name] = [0, 0, {}]
        entry[0] += 1
        if failed:
            entry[1] += 1
        rounded = round_response_time(response_time_ms or 0.0)
        histogram = entry[2]
        histogram[rounded] = histogram.get(rounded, 0) + 1

    def pop_before(self, second: int, users: int) -> list[SecondRecord]:
        """Every second < `second` not yet popped, empty ones included, oldest first."""
        due = set(range(self._next, second)) | {t for t in self._seconds if t < second}
        self._next = max(self._next, second)
        return [self._pop(t, users) for t in sorted(due)]

    def pop_all(self, users: int) -> list[SecondRecord]:
        """Everything left, up to the last second that saw a request (the run's partial end)."""
        end = max(self._seconds, default=self._next - 1) + 1
        return self.pop_before(end, users)

    def _pop(self, t: int, users: int) -> SecondRecord:
        endpoints = self._seconds.pop(t, {})
        return {
            "t": t,
            "users": users,
            "endpoints": {
                name: [entry[0], entry[1], sorted([ms, n] for ms, n in entry[2].items())]
                for name, entry in endpoints.items()
            },
        }


def merge_records(into: SecondRecord | None, other: SecondRecord, *, add_users: bool) -> SecondRecord:
    """Combine two records of the same second (from two workers, or a late arrival).

    Users add up across workers (each runs a share of them); for a late arrival of the same
    process the larger count is kept.
    """
    if into is None:
        return {"t": other["t"], "users": other["users"], "endpoints": {k: _copy(v) for k, v in other["endpoints"].items()}}
    into["users"] = into["users"] + other["users"] if add_users else max(into["users"], other["users"])
    for name, entry in other["endpoints"].items():
        mine = into["endpoints"].get(name)
        if mine is None:
            into["endpoints"][name] = _copy(entry)
            continue
        mine[0] += entry[0]
        mine[1] += entry[1]
        histogram = dict((ms, n) for ms, n in mine[2])
        for ms, n in entry[2]:
            histogram[ms] = histogram.get(ms, 0) + n
        mine[2] = sorted([ms, n] for ms, n in histogram.items())
    return into


def _copy(entry: list[Any]) -> list[Any]:
    return [entry[0], entry[1], [list(pair) for pair in entry[2]]]


class WorkerMerger:
    """Merges the per-second records of distributed workers on the master.

    Each worker reports records with a watermark: every second below it is complete for that
    worker. A second is released once every live worker's watermark has passed it, so the
    parent sees one complete record per second, users summed over workers.
    """

    def __init__(self, worker_ids: list[str]):
        self._watermarks: dict[str, float] = {worker: 0 for worker in worker_ids}
        self._pending: dict[int, SecondRecord] = {}

    def add(self, worker: str, records: list[SecondRecord], watermark: float, final: bool = False) -> None:
        for record in records:
            t = int(record["t"])
            self._pending[t] = merge_records(self._pending.get(t), record, add_users=True)
        previous = self._watermarks.get(worker, 0)
        self._watermarks[worker] = float("inf") if final else max(previous, watermark)

    @property
    def workers(self) -> list[str]:
        return list(self._watermarks)

    @property
    def all_final(self) -> bool:
        return all(mark == float("inf") for mark in self._watermarks.values())

    def pop_ready(self, live_workers: set[str] | None = None) -> list[SecondRecord]:
        """Records every live worker has completed, oldest first."""
        marks = [m for w, m in self._watermarks.items() if live_workers is None or w in live_workers]
        limit = min(marks, default=float("inf"))
        ready = sorted(t for t in self._pending if t < limit)
        return [self._pending.pop(t) for t in ready]

    def pop_all(self) -> list[SecondRecord]:
        return [self._pending.pop(t) for t in sorted(self._pending)]
