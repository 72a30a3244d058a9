"""Whether the load generator sent the rate the scenario asked (`load.rate`). Pure, reads the journal.

A slow or hanging app lowers the rate it gets too: each user waits on its answer before it
paces its next task (Locust's constant_throughput waits what is left of a user's interval after
the task ran, nothing when the task took longer, and never catches up). So only the shortfall
the app's answers do not explain is the generator's. Per second, a user whose interval is I
(1 / its share of the rate) and whose request took T seconds starts its next one max(I, T)
later: with U users running, the app allowed U / mean(max(I, T)) requests per second (Little's
law with the pacing put in), over the requests started in that second. A second where nothing
started allowed the users not waiting on an answer (in flight) to send at their pace. The
generator fell short in a second when it sent under 90% of what the app allowed, with one
request of slack for the second's edges.

The response times are measured by the generator, so they hold its own delay too: a Locust
process busy or starved of a core reads each answer late, and its users then seem to wait on
the app. So a second in which a Locust process ran or waited for a core at least BEHIND_CPU of
the time and sent under 90% of the asked rate is the generator's as well, whatever the answers
seemed to allow: at that load an answer waits for the process about three times as long as the
process takes to handle it (a single queue at 75%), and a slow app leaves its generator idle,
waiting on sockets. A second in which a tenth or more of the requests failed is left to the
checks: a sequence stops at its failed step, so fewer requests are the app's doing there (a
stray failure among hundreds excuses nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from envsim.journal import ALL_ENDPOINTS, GeneratorSample, Journal, StatsPoint

HELD_RATE = 0.9  # sending under this share of what the app allowed is the generator's shortfall
EDGE_REQUESTS = 1.0  # a second's count may miss a request started at its edge
FAILED_SHARE = 10  # a second with a tenth or more of its requests failed is left to the checks
BEHIND_CPU = 75.0  # percent of a second a Locust process ran or waited for a core: its latencies are its own


@dataclass(frozen=True)
class RateSecond:
    """One second the generator sent less than the app's answers allowed."""

    asked: float  # requests per second the rate asked for
    sent: int  # requests started
    answered_ms: float | None  # mean response time of the second's requests; None: none ended
    busy: float  # the busiest Locust process's share of the second running or waiting for a core


@dataclass(frozen=True)
class _Second:
    """What one second of the load was asked, sent and allowed (requests)."""

    asked: float
    sent: int
    allowed: float
    users: int
    interval: float  # seconds between one user's requests
    answered_ms: float | None
    busy: float


def short_rate_seconds(journal: Journal, samples: list[GeneratorSample], settled: set[int]) -> list[RateSecond]:
    """The sampled seconds, among `settled` ones (load start and ramps left out), in which the
    generator sent less of the asked rate than the app's answers allowed.

    A user slower than one request a second sends in some seconds and not in others (users
    started together send together), so each second is judged with the seconds before it over
    one user's interval, and a window that is not a whole number of intervals leaves each user
    that fraction of a request of slack."""
    aggregate = {p.t: p for p in journal.series if p.endpoint == ALL_ENDPOINTS}
    judged = {s: _second(aggregate, sample, s) for sample in samples for s in [round(sample.t) - 1] if s in settled}
    short = []
    for second, this in judged.items():
        if this is None:
            continue
        width = max(1, math.ceil(this.interval - 1e-6))
        window = [judged.get(second - back) for back in range(width)]
        if any(w is None for w in window):
            continue
        seconds = [w for w in window if w is not None]
        slack = EDGE_REQUESTS + this.users * (width / this.interval - math.floor(width / this.interval + 1e-6))
        if sum(w.sent for w in seconds) < HELD_RATE * sum(w.allowed for w in seconds) - max(0.0, slack):
            short.append(RateSecond(this.asked, this.sent, this.answered_ms, this.busy))
    return short


def _second(aggregate: dict[int, StatsPoint], sample: GeneratorSample, second: int) -> _Second | None:
    """The second a sample covers; None when it is not the generator's to answer for."""
    point, before = aggregate.get(second), aggregate.get(second - 1)
    if sample.asked_rate <= 0 or sample.achieved_rate is None or sample.asked_users <= 0 or point is None:
        return None
    if point.failures * FAILED_SHARE >= max(1, point.requests):
        return None
    users = min(point.users, before.users if before else point.users)
    interval = sample.asked_users / sample.asked_rate
    allowed = min(sample.asked_rate, _allowed(point, users, interval))
    busy = max((cpu + waited for _, _, cpu, waited in sample.processes), default=0.0)
    if busy >= BEHIND_CPU:  # the answers it measured were late for its own sake: they excuse nothing
        allowed = min(sample.asked_rate, users / interval)
    return _Second(sample.asked_rate, sample.achieved_rate, allowed, users, interval, _mean_ms(point), busy)


def describe_shortfall(short: list[RateSecond], sampled: int) -> str:
    """e.g. "the load generator sent 31 of the 50 requests/s asked while the app answered in
    20 ms, for 12 of 20 s"; while the generator was busy, how busy instead of the answers it timed."""
    asked = sum(s.asked for s in short) / len(short)
    sent = sum(s.sent for s in short) / len(short)
    busy = [s.busy for s in short if s.busy >= BEHIND_CPU]
    answered = [s.answered_ms for s in short if s.answered_ms is not None]
    if len(busy) * 2 > len(short):
        why = f" while it ran or waited for a core {min(100.0, sum(busy) / len(busy)):.0f}% of the time"
    else:
        why = f" while the app answered in {_ms(sum(answered) / len(answered))}" if answered else ""
    return (
        f"the load generator sent {sent:.0f} of the {asked:.0f} requests/s asked{why}, for {len(short)} of {sampled} s"
    )


def _allowed(point: StatsPoint, users: int, interval: float) -> float:
    """Requests per second the app's answers in this second let `users` users send."""
    ended = sum(count for _, count in point.response_times)
    if ended:
        cycle = sum(count * max(interval, ms / 1000) for ms, count in point.response_times) / ended
        return users / cycle
    return max(0, users - point.in_flight) / interval  # those waiting on an answer could not send


def _mean_ms(point: StatsPoint) -> float | None:
    ended = sum(count for _, count in point.response_times)
    return sum(ms * count for ms, count in point.response_times) / ended if ended else None


def _ms(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
