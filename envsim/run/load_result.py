"""What one load run measured: the run loop returns it, observers receive it at the end."""

from __future__ import annotations

from dataclasses import dataclass

from envsim.journal import FaultEvent, GeneratorSample, StatsPoint, WorkerLoss, WorkerSecond


@dataclass(frozen=True)
class LoadResult:
    series: tuple[StatsPoint, ...]
    faults: tuple[FaultEvent, ...]
    started_at: str  # ISO 8601 UTC wall clock of load start (t = 0)
    ended_at: str
    duration: float  # seconds of load actually run
    interrupted: bool
    locust_version: str
    error: str | None = None  # the load ended abnormally (child died, hung)
    worker_seconds: tuple[WorkerSecond, ...] = ()  # with Locust workers: each one's share, per second
    worker_losses: tuple[WorkerLoss, ...] = ()
    # declarative task name -> "METHOD /path" (series keys are task names): Journal.extra["endpoints"]
    endpoints: tuple[tuple[str, str], ...] = ()
    generator: tuple[GeneratorSample, ...] = ()  # the load generator's CPU each second
