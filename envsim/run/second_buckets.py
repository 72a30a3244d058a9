"""Per-second request buckets: the wire format between the Locust child and the parent.

Pure Python, no Locust import: the child records into `SecondBuckets` from Locust's request
hook, and the parent and the distributed master merge the plain dicts these produce. One
second on the wire is `{"t": int, "users": int, "endpoints": {name: [requests, failures,
[[ms, count], ...], [[kind, message, count], ...]]}, "in_flight": [count, oldest_age],
"started": int}`, where t counts whole seconds from load start.

A request belongs to the second it *started* in. A second is handed out when it ends, with
the requests begun in it ("started", ended or not: a request-start hook counts them) and
those still in flight at that moment ("in_flight"); requests of that second ending later
arrive as further records for the same t (neither key), which the receiver merges. The
failure reasons list is left out while empty, "started" while zero, "in_flight" while unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

SecondRecord = dict[str, Any]
MESSAGE_LIMIT = 200  # characters of a failure message kept
REASONS_PER_SECOND = 10  # distinct reasons kept per endpoint and second; the rest are lumped
OTHER_REASON = ("other", "more distinct failure reasons than are kept per second")
InFlightProbe = Callable[[float], tuple[int, float]]  # wall clock -> (count, oldest age in s)


class InFlight:
    """Requests started and not yet ended, keyed by whatever identifies one (a greenlet).

    `alive` tells whether a key can still end; a killed user's request never reports its end
    and must not count forever.
    """

    def __init__(self, alive: Callable[[Hashable], bool] = lambda key: True):
        self._started: dict[Hashable, float] = {}
        self._alive = alive
        self.on_start: Callable[[float], None] | None = None  # told of each start (SecondBuckets.count_start)

    def start(self, key: Hashable, when: float) -> None:
        self._started[key] = when
        if self.on_start is not None:
            self.on_start(when)

    def end(self, key: Hashable) -> None:
        self._started.pop(key, None)

    def at(self, when: float) -> tuple[int, float]:
        """Requests started before `when` and still open, and the oldest one's age at `when`."""
        for key in [k for k in self._started if not self._alive(k)]:
            del self._started[key]
        starts = [start for start in self._started.values() if start < when]
        if not starts:
            return 0, 0.0
        return len(starts), round(max(0.0, when - min(starts)), 3)


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
    """Counts requests by the second (from `t0`) in which they started, per endpoint."""

    def __init__(self, t0: float):
        self.t0 = t0
        # second -> endpoint -> [requests, failures, {ms: count}, {(kind, message): count}]
        self._seconds: dict[int, dict[str, list[Any]]] = {}
        self._starts: dict[int, int] = {}  # second -> requests begun in it, ended or not
        self._next = 0  # seconds below this were handed out already (later data is a late record)

    def second_of(self, when: float) -> int:
        # A request starting a hair before t0 (clock skew between processes) belongs to 0.
        return max(0, int(when - self.t0))

    def count_start(self, when: float) -> None:
        """A request began at `when` (wall clock): counted before it ends, so a second of slow
        requests reads as the requests sent in it, not as zero."""
        second = self.second_of(when)
        self._starts[second] = self._starts.get(second, 0) + 1

    def record(
        self,
        started: float,
        name: str,
        response_time_ms: float | None,
        failed: bool,
        reason: tuple[str, str] | None = None,
    ) -> None:
        """One ended request, counted in the second of `started` (wall clock)."""
        second = self.second_of(started)
        endpoints = self._seconds.get(second)
        if endpoints is None:
            endpoints = self._seconds[second] = {}
        entry = endpoints.get(name)
        if entry is None:
            entry = endpoints[name] = [0, 0, {}, {}]
        entry[0] += 1
        if failed:
            entry[1] += 1
            if reason is not None:
                reasons = entry[3]
                key = (reason[0], reason[1][:MESSAGE_LIMIT])
                if key not in reasons and len(reasons) >= REASONS_PER_SECOND:
                    key = OTHER_REASON
                reasons[key] = reasons.get(key, 0) + 1
        rounded = round_response_time(response_time_ms or 0.0)
        histogram = entry[2]
        histogram[rounded] = histogram.get(rounded, 0) + 1

    def pop_before(self, second: int, users: int, in_flight: InFlightProbe | None = None) -> list[SecondRecord]:
        """Every second < `second` not yet popped, empty ones included, oldest first, and the
        late requests of seconds popped before. Seconds ending now get `in_flight(their end)`."""
        closing = range(self._next, second)
        due = set(closing) | {t for t in self._seconds if t < second}
        self._next = max(self._next, second)
        records = []
        for t in sorted(due):
            record = self._pop(t, users)
            if t in closing and self._starts.get(t):
                record["started"] = self._starts.pop(t)
            if in_flight is not None and t in closing:
                record["in_flight"] = list(in_flight(self.t0 + t + 1))
            records.append(record)
        return records

    def pop_all(self, users: int, in_flight: InFlightProbe | None = None) -> list[SecondRecord]:
        """Everything left, up to the last second that saw a request (the run's partial end)."""
        end = max(max(self._seconds, default=self._next - 1) + 1, self._next)
        return self.pop_before(end, users, in_flight)

    def _pop(self, t: int, users: int) -> SecondRecord:
        endpoints = self._seconds.pop(t, {})
        return {"t": t, "users": users, "endpoints": {name: _wire_entry(entry) for name, entry in endpoints.items()}}


def _wire_entry(entry: list[Any]) -> list[Any]:
    wire = [entry[0], entry[1], sorted([ms, n] for ms, n in entry[2].items())]
    if entry[3]:
        wire.append(sorted([kind, message, n] for (kind, message), n in entry[3].items()))
    return wire


def merge_records(into: SecondRecord | None, other: SecondRecord, *, add_users: bool) -> SecondRecord:
    """Combine two records of the same second (from two workers, or a late arrival).

    Users and requests in flight add up across workers (each runs a share of them); for a
    late arrival of the same process the larger user count is kept, and the in-flight count
    taken when the second ended stays (a late record carries none).
    """
    if into is None:
        into = {
            "t": other["t"],
            "users": other["users"],
            "endpoints": {k: _copy(v) for k, v in other["endpoints"].items()},
        }
        if "in_flight" in other:
            into["in_flight"] = list(other["in_flight"])
        if "started" in other:
            into["started"] = other["started"]
        return into
    into["users"] = into["users"] + other["users"] if add_users else max(into["users"], other["users"])
    if "in_flight" in other:
        mine_in_flight = into.get("in_flight")
        if mine_in_flight is None:
            into["in_flight"] = list(other["in_flight"])
        elif add_users:
            into["in_flight"] = [
                mine_in_flight[0] + other["in_flight"][0],
                max(mine_in_flight[1], other["in_flight"][1]),
            ]
    if "started" in other and (add_users or "started" not in into):
        into["started"] = into.get("started", 0) + other["started"]
    for name, entry in other["endpoints"].items():
        mine = into["endpoints"].get(name)
        if mine is None:
            into["endpoints"][name] = _copy(entry)
            continue
        mine[0] += entry[0]
        mine[1] += entry[1]
        mine[2] = _add_pairs(mine[2], entry[2])
        if len(entry) > 3:
            reasons = {(kind, message): n for kind, message, n in (mine[3] if len(mine) > 3 else ())}
            for kind, message, n in entry[3]:
                reasons[(kind, message)] = reasons.get((kind, message), 0) + n
            del mine[3:]
            mine.append(sorted([kind, message, n] for (kind, message), n in reasons.items()))
    return into


def _add_pairs(first: list[Any], second: list[Any]) -> list[list[int]]:
    histogram = dict((ms, n) for ms, n in first)
    for ms, n in second:
        histogram[ms] = histogram.get(ms, 0) + n
    return sorted([ms, n] for ms, n in histogram.items())


def _copy(entry: list[Any]) -> list[Any]:
    copy = [entry[0], entry[1], [list(pair) for pair in entry[2]]]
    if len(entry) > 3:
        copy.append([list(reason) for reason in entry[3]])
    return copy


class WorkerMerger:
    """Merges the per-second records of distributed workers on the master.

    Each worker reports records with a watermark: every second below it is complete for that
    worker. A second is released once every live worker's watermark has passed it, so the
    parent sees one complete record per second, users summed over workers.
    """

    def __init__(self, worker_ids: list[str]):
        self._watermarks: dict[str, float] = {worker: 0 for worker in worker_ids}
        # second -> worker -> its record: a worker's late requests for a second it sent
        # already join its own record (users kept), the workers' records add up on release
        self._pending: dict[int, dict[str, SecondRecord]] = {}

    def add(self, worker: str, records: list[SecondRecord], watermark: float, final: bool = False) -> None:
        for record in records:
            mine = self._pending.setdefault(int(record["t"]), {})
            mine[worker] = merge_records(mine.get(worker), record, add_users=False)
        previous = self._watermarks.get(worker, 0)
        self._watermarks[worker] = float("inf") if final else max(previous, watermark)

    def forget(self, worker: str) -> None:
        """A lost worker: the seconds it sent stay, later ones are not waited for."""
        self._watermarks[worker] = float("inf")

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
        return [self._release(t) for t in ready]

    def pop_all(self) -> list[SecondRecord]:
        return [self._release(t) for t in sorted(self._pending)]

    def _release(self, t: int) -> SecondRecord:
        merged: SecondRecord | None = None
        for record in self._pending.pop(t).values():
            merged = merge_records(merged, record, add_users=True)
        assert merged is not None  # a second is pending only once a record for it came
        return merged
