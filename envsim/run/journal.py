"""The journal: the one product of a run. Verdict and reports read only this.

Latency is kept as per-second histograms (milliseconds -> count, as Locust rounds them), so
any percentile over any window (a fault phase, the baseline) can be computed exactly later,
and a saved journal can be re-judged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

JOURNAL_VERSION = 1
ALL_ENDPOINTS = ""  # the endpoint key of the aggregate over all requests


@dataclass(frozen=True)
class StatsPoint:
    """Requests that completed in [t, t + 1) seconds from load start, for one endpoint."""

    t: int
    endpoint: str  # "METHOD /path" or a task name; ALL_ENDPOINTS for the aggregate
    requests: int
    failures: int
    response_times: tuple[tuple[int, int], ...]  # (milliseconds, count), sorted by ms
    users: int = 0


@dataclass(frozen=True)
class FaultEvent:
    fault: str
    action: str  # "applied" | "removed" | "failed"
    scheduled: float  # seconds from load start
    actual: float  # seconds from load start when the change had taken effect
    detail: str = ""


@dataclass(frozen=True)
class ProbeResult:
    """A measured invariant (SQL query, HTTP probe) for the check with the same id."""

    check_id: str
    t: float
    ok: bool  # the probe itself ran (query answered); the comparison is the verdict's job
    value: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class ContainerEvent:
    t: float
    service: str
    container: str
    action: str  # "die", "oom", "restart", "start", "pause", "unpause", ...
    detail: str = ""


@dataclass(frozen=True)
class LogExcerpt:
    service: str
    t: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Journal:
    run_id: str
    started_at: str  # ISO 8601 UTC, wall clock of load start (t = 0)
    ended_at: str
    duration: float  # seconds of load actually run
    profile: str
    scenario: str
    profile_digest: str  # sha256 of the profile file(s) as loaded
    scenario_digest: str
    environment: dict[str, Any]  # image ids, toxiproxy/locust/python/envsim versions
    planned_timeline: tuple[dict[str, Any], ...]  # [{"fault", "at", "for"}]
    checks: tuple[dict[str, Any], ...]  # serialized checks (see envsim.verdict.serialize)
    series: tuple[StatsPoint, ...] = ()
    faults: tuple[FaultEvent, ...] = ()
    probes: tuple[ProbeResult, ...] = ()
    container_events: tuple[ContainerEvent, ...] = ()
    logs: tuple[LogExcerpt, ...] = ()
    interrupted: bool = False
    error: str | None = None
    version: int = JOURNAL_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def from_json(cls, text: str) -> "Journal":
        data = json.loads(text)
        if data.get("version") != JOURNAL_VERSION:
            raise ValueError(f"journal version {data.get('version')!r} is not supported")
        return cls(
            **{
                **data,
                "planned_timeline": tuple(data.get("planned_timeline", ())),
                "checks": tuple(data.get("checks", ())),
                "series": tuple(
                    StatsPoint(**{**p, "response_times": tuple(tuple(x) for x in p["response_times"])})
                    for p in data.get("series", ())
                ),
                "faults": tuple(FaultEvent(**e) for e in data.get("faults", ())),
                "probes": tuple(ProbeResult(**p) for p in data.get("probes", ())),
                "container_events": tuple(ContainerEvent(**e) for e in data.get("container_events", ())),
                "logs": tuple(LogExcerpt(**{**e, "lines": tuple(e["lines"])}) for e in data.get("logs", ())),
            }
        )

    @classmethod
    def read(cls, path: Path) -> "Journal":
        return cls.from_json(path.read_text(encoding="utf-8"))
