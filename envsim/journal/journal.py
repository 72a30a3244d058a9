"""The journal: the one product of a run. Verdict and reports read only this.

Latency is kept as per-second histograms (milliseconds -> count, as Locust rounds them), so
any percentile over any window (a fault phase, the baseline) can be computed exactly later,
and a saved journal can be re-judged: it carries its own checks.

File format 3 attributes every request to the second it started, and each second carries the
requests in flight at its end and the failures grouped by reason. Format 2 (by completion
second, no in-flight counts or reasons) and format 1 (timeline as {fault, at, for}) still load;
their points read with zero in flight and no reasons.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from envsim.config.check_kinds import Check
from envsim.fileio import write_atomic
from envsim.journal.checks import checks_from_dicts, checks_to_dicts, default_label
from envsim.journal.decode import decode
from envsim.journal.records import (
    ContainerEvent,
    CredentialRotation,
    FaultEvent,
    GeneratorSample,
    LogExcerpt,
    ProbeResult,
    StatsPoint,
    TimelineStep,
    WorkerLoss,
    WorkerSecond,
)

JOURNAL_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)


class JournalChecksError(ValueError):
    """The journal itself reads, but a check it carries does not."""


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
    planned_timeline: tuple[TimelineStep, ...]
    checks: tuple[Check, ...]  # in the scenario's order: check i has the id check_id(i)
    series: tuple[StatsPoint, ...] = ()
    faults: tuple[FaultEvent, ...] = ()
    probes: tuple[ProbeResult, ...] = ()
    container_events: tuple[ContainerEvent, ...] = ()
    logs: tuple[LogExcerpt, ...] = ()
    rotations: tuple[CredentialRotation, ...] = ()  # credentials rotated by their ttl
    worker_seconds: tuple[WorkerSecond, ...] = ()  # with Locust workers: each one's users, requests, CPU
    worker_losses: tuple[WorkerLoss, ...] = ()
    allow_worker_loss: bool = False  # the scenario accepts losing workers: a loss is judged normally
    generator: tuple[GeneratorSample, ...] = ()  # the load generator's CPU each second; empty in older journals
    interrupted: bool = False
    error: str | None = None
    version: int = JOURNAL_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every check carries its readable label (as the loader gives it), so a journal read
        # back from its file equals the one written.
        labelled = tuple(c if c.label else replace(c, label=default_label(c)) for c in self.checks)
        object.__setattr__(self, "checks", labelled)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["checks"] = list(checks_to_dicts(self.checks))
        for name in _RECORDS:
            data[name] = [asdict(record) for record in data[name]]
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    def write(self, path: Path) -> None:
        write_atomic(path, self.to_json())

    @classmethod
    def from_json(cls, text: str) -> Journal:
        """The journal in `text`; ValueError (JournalChecksError for its checks) when malformed."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        version = data.get("version")
        if version not in READABLE_VERSIONS:
            raise ValueError(
                f"journal version {version!r} is not supported (this envsim reads {', '.join(map(str, READABLE_VERSIONS))})"
            )
        try:
            checks = checks_from_dicts(data.get("checks", ()))
        except (ValueError, TypeError) as error:
            raise JournalChecksError(str(error)) from None
        records = {name: data.get(name, []) for name in _RECORDS}
        if version == 1:  # the timeline was {fault, at, for}
            records["planned_timeline"] = [_v1_timeline_step(item) for item in records["planned_timeline"]]
        # every field, the records' included, is checked against the types the classes declare
        journal = decode(
            cls,
            {**data, **records, "checks": [], "version": JOURNAL_VERSION},
            "journal",
            given={"checks": checks},
        )
        _check_times(journal)
        return journal

    @classmethod
    def read(cls, path: Path) -> Journal:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


# Verdicts and charts walk a run second by second, so a journal's times must be those of a run:
# finite and within a month (a mutated or hand-edited 1e12 would otherwise exhaust memory).
MAX_RUN_SECONDS = 31 * 24 * 3600


def _check_times(journal: Journal) -> None:
    times = [("duration", journal.duration)]
    times += [(f"series[{i}].t", p.t) for i, p in enumerate(journal.series)]
    times += [(f"generator[{i}].t", s.t) for i, s in enumerate(journal.generator)]
    times += [
        (f"faults[{i}].{name}", getattr(e, name))
        for i, e in enumerate(journal.faults)
        for name in ("scheduled", "actual")
    ]
    times += [
        (f"planned_timeline[{i}].{name}", getattr(s, name))
        for i, s in enumerate(journal.planned_timeline)
        for name in ("start", "end")
    ]
    for where, value in times:
        if not math.isfinite(value) or not -MAX_RUN_SECONDS <= value <= MAX_RUN_SECONDS:
            raise ValueError(
                f"journal.{where}: {value:g} seconds is not a time within a run "
                f"(at most {MAX_RUN_SECONDS // 86400} days)"
            )


_RECORDS = (
    "planned_timeline",
    "series",
    "faults",
    "probes",
    "container_events",
    "logs",
    "rotations",
    "worker_seconds",
    "worker_losses",
    "generator",
)


def _v1_timeline_step(item: Any) -> Any:
    if not isinstance(item, dict) or not all(isinstance(item.get(k), (int, float)) for k in ("at", "for")):
        return item  # decoding names what is wrong with it
    return {"fault": item.get("fault"), "start": item["at"], "end": item["at"] + item["for"]}
