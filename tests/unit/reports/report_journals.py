"""A realistic journal for report tests: 3 minutes of load, a slow database, a cache outage."""

from __future__ import annotations

import random

from envsim.config.check_kinds import HttpInvariant, MetricCheck, RecoveryCheck, SqlInvariant
from envsim.journal import ALL_ENDPOINTS, FaultEvent, Journal, ProbeResult, StatsPoint, TimelineStep

NASTY = '<script>alert("x")</script> & | pipes'

CHECKS = (
    MetricCheck("p95", "below", 0.5),
    MetricCheck("error_rate", "below", 0.01, label=f"errors stay low {NASTY}"),
    MetricCheck("error_rate", "below", 0.05, phase="during:cache-down"),
    MetricCheck(
        "p95", "below", 0.3, endpoint="GET /products", phase="baseline", label="p95 [GET /products] in the baseline"
    ),
    RecoveryCheck("cache-down", 10.0),
    SqlInvariant("db", "select count(*) from orders", "equals", expected_count_of=("successes", "POST /orders")),
    HttpInvariant("api", "GET", "/healthz"),
)


def _second(rng: random.Random, t: int, base_ms: int, requests: int) -> tuple[int, int, dict[int, int]]:
    slow = 30 <= t < 60  # db-slow: +300ms
    down = 90 <= t < 100  # cache-down: half the requests fail, fast
    lingering = 100 <= t < 104  # recovering
    histogram: dict[int, int] = {}
    failures = 0
    for _ in range(requests):
        ms = base_ms + rng.randint(0, 40) + (300 + rng.randint(0, 100) if slow else 0)
        if down and rng.random() < 0.5:
            failures += 1
            ms = rng.randint(1, 5)
        if lingering and rng.random() < 0.2:
            failures += 1
        histogram[ms] = histogram.get(ms, 0) + 1
    return requests, failures, histogram


def sample_journal(seconds: int = 180, scenario: str = "checkout") -> Journal:
    rng = random.Random(7)
    series: list[StatsPoint] = []
    for t in range(seconds):
        parts = {
            "GET /products": _second(rng, t, 40, 50 + min(t, 20)),
            "POST /orders": _second(rng, t, 90, 10),
        }
        total_hist: dict[int, int] = {}
        for endpoint, (requests, failures, histogram) in parts.items():
            series.append(StatsPoint(t, endpoint, requests, failures, tuple(sorted(histogram.items())), users=100))
            for ms, count in histogram.items():
                total_hist[ms] = total_hist.get(ms, 0) + count
        series.append(
            StatsPoint(
                t,
                ALL_ENDPOINTS,
                sum(p[0] for p in parts.values()),
                sum(p[1] for p in parts.values()),
                tuple(sorted(total_hist.items())),
                users=100,
            )
        )
    orders = sum(p.requests - p.failures for p in series if p.endpoint == "POST /orders")
    return Journal(
        run_id="20260101-120000-ab12",
        started_at="2026-01-01T12:00:00Z",
        ended_at="2026-01-01T12:03:00Z",
        duration=float(seconds),
        profile="prod-like",
        scenario=scenario,
        profile_digest="sha256:aaaa",
        scenario_digest="sha256:bbbb",
        environment={
            "python": "3.11.9",
            "locust": "2.31",
            "toxiproxy": "2.9.0",
            "images": {"api": "sha256:1234", "db": "postgres:16"},
            "note": "</td><b>x</b>",
        },
        planned_timeline=(TimelineStep("db-slow", 30, 60), TimelineStep("cache-down", 90, 100)),
        checks=CHECKS,
        series=tuple(series),
        faults=(
            FaultEvent("db-slow", "applied", 30.0, 30.05),
            FaultEvent("db-slow", "removed", 60.0, 60.04),
            FaultEvent("cache-down", "applied", 90.0, 90.02),
            FaultEvent("cache-down", "removed", 100.0, 100.03, detail=NASTY),
        ),
        probes=(ProbeResult("check-6", 181.0, True, orders - 1), ProbeResult("check-7", 181.0, True, 200)),
    )
