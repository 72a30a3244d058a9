"""Hand-built journals for verdict tests: plain data, one request profile per second."""

from __future__ import annotations

from collections.abc import Callable

from envsim.config.check_kinds import Check
from envsim.journal import ALL_ENDPOINTS, FaultEvent, Journal, ProbeResult, StatsPoint

# one second of load: (requests, failures, {milliseconds: count})
Second = tuple[int, int, dict[int, int]]


def steady(requests: int = 10, failures: int = 0, millis: int = 100) -> Callable[[int], Second]:
    return lambda t: (requests, failures, {millis: requests})


def points(endpoint: str, seconds: int, profile: Callable[[int], Second]) -> list[StatsPoint]:
    result = []
    for t in range(seconds):
        requests, failures, histogram = profile(t)
        if requests == 0 and not histogram:
            continue
        result.append(StatsPoint(t, endpoint, requests, failures, tuple(sorted(histogram.items()))))
    return result


def fault_events(*windows: tuple[str, float, float | None]) -> tuple[FaultEvent, ...]:
    events = []
    for fault, applied, removed in windows:
        events.append(FaultEvent(fault, "applied", applied, applied))
        if removed is not None:
            events.append(FaultEvent(fault, "removed", removed, removed))
    return tuple(events)


def journal(
    checks: tuple[Check, ...] = (),
    seconds: int = 60,
    profile: Callable[[int], Second] | None = None,
    endpoints: dict[str, Callable[[int], Second]] | None = None,
    faults: tuple[FaultEvent, ...] = (),
    probes: tuple[ProbeResult, ...] = (),
    aggregate: bool = True,
    **extra_fields,
) -> Journal:
    """A journal whose aggregate series is `profile`, or the sum of `endpoints` when given."""
    series: list[StatsPoint] = []
    for name, endpoint_profile in (endpoints or {}).items():
        series += points(name, seconds, endpoint_profile)
    if aggregate:
        if endpoints:

            def summed(t: int) -> Second:
                parts = [p(t) for p in endpoints.values()]
                histogram: dict[int, int] = {}
                for _, _, h in parts:
                    for ms, count in h.items():
                        histogram[ms] = histogram.get(ms, 0) + count
                return sum(p[0] for p in parts), sum(p[1] for p in parts), histogram

            series += points(ALL_ENDPOINTS, seconds, summed)
        else:
            series += points(ALL_ENDPOINTS, seconds, profile or steady())
    return Journal(
        run_id="run-1",
        started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:01:00Z",
        duration=float(seconds),
        profile="prod-like",
        scenario="checkout",
        profile_digest="p",
        scenario_digest="s",
        environment={"python": "3.11"},
        planned_timeline=(),
        checks=tuple(checks),
        series=tuple(series),
        faults=faults,
        probes=probes,
        **extra_fields,
    )
