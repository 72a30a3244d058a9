"""A journal of a load run driven straight through the run layer (no stack, no scenario file),
for judging it as `envsim run` would."""

from __future__ import annotations

from typing import Any

from envsim.journal import Journal
from envsim.run.load_result import LoadResult


def journal_of_load(result: LoadResult, checks: tuple, load_generator: dict[str, Any] | None = None) -> Journal:
    """The journal `envsim run` would write for `result` and `checks` (placeholder names and digests).
    The generator's samples, which the saturation guard judges, only with `load_generator` (the
    environment's facts about it, such as `host_cpus`): a test of the app's own figures leaves them out."""
    return Journal(
        run_id="it",
        started_at=result.started_at,
        ended_at=result.ended_at,
        duration=result.duration,
        profile="p",
        scenario="s",
        profile_digest="",
        scenario_digest="",
        environment={"load_generator": load_generator} if load_generator is not None else {},
        planned_timeline=(),
        checks=checks,
        series=result.series,
        faults=result.faults,
        generator=result.generator if load_generator is not None else (),
        extra={"endpoints": dict(result.endpoints)},
    )
