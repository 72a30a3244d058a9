"""Whether the load generator measured itself: the saturation guard. Pure, reads the journal.

A check measured from the load (latency, error rate, rps, recovery) is INCONCLUSIVE when,
for a meaningful share of its window, a Locust process was above Locust's own 90% CPU
warning (counting the time it was ready to run but waited for a core: a starved generator is
as saturated as a busy one), the users running fell short of those the scenario asked for, or
it sent less of the asked `load.rate` than the app's answers allowed (rate_shortfall): such a
reading is of the generator, not of the app. A busy machine the generator took a large share of is a
note beside the latency checks. Journals without generator samples judge as they always did.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from envsim.journal import ALL_ENDPOINTS, GeneratorSample, Journal
from envsim.verdict.generator_text import process_name
from envsim.verdict.phases import Buckets, resolve_phase
from envsim.verdict.rate_shortfall import describe_shortfall, short_rate_seconds

SATURATED_CPU = 90.0  # percent of one core, used or waited for: Locust warns of skewed results above it
MEANINGFUL_SHARE = 0.2  # of a window's sampled seconds, and at least MEANINGFUL_SECONDS
MEANINGFUL_SECONDS = 2
HELD_USERS = 0.9  # fewer running users than this share of those asked is not holding them
RAMP_SLACK = 2  # seconds Locust may lag a ramp: asked users are the fewest over this many before
BUSY_HOST_CPU = 90.0  # percent of the whole machine
LARGE_GENERATOR_SHARE = 0.25  # of the machine's cores, taken by the generator while it was busy
FIX = "add think time, lower users, add workers, or run the load elsewhere"
RATE_FIX = "lower load.rate, add workers, or run the load elsewhere"


@dataclass(frozen=True)
class Saturation:
    """Why a window's load readings are the generator's, not the app's."""

    reason: str  # "" when the generator held up


def window_saturation(journal: Journal, phase_name: str) -> Saturation:
    """The saturation guard over one phase of the run ("run", "during:F", ...)."""
    samples = _in_phase(journal, phase_name)
    if not samples:
        return Saturation("")
    meaningful = max(MEANINGFUL_SECONDS, MEANINGFUL_SHARE * len(samples))
    hot = _hot_process(samples, meaningful)
    rate_short = short_rate_seconds(journal, samples, _settled(journal))
    if len(rate_short) >= meaningful:  # the rate the scenario asked for is the first thing to name
        return Saturation("; ".join([describe_shortfall(rate_short, len(samples)), *([hot] if hot else []), RATE_FIX]))
    if hot:
        return Saturation(f"{hot}; {FIX}")
    short = _short_users(journal, samples)
    if len(short) >= meaningful:
        asked = max(asked for _, asked in short)
        worst = min(users for users, _ in short)
        return Saturation(
            f"the load generator could not hold the asked users (as few as {worst} of {asked}) "
            f"for {len(short)} of {len(samples)} s; {FIX}"
        )
    return Saturation("")


def host_contention(journal: Journal) -> str:
    """A note for latency checks when the machine was busy and the generator took much of it."""
    samples = journal.generator
    cores = int(journal.environment.get("load_generator", {}).get("host_cpus") or 0)
    if not samples or cores < 1:
        return ""
    busy = [s for s in samples if s.host_cpu >= BUSY_HOST_CPU]
    if len(busy) < max(MEANINGFUL_SECONDS, MEANINGFUL_SHARE * len(samples)):
        return ""
    share = sum(sum(cpu for _, _, cpu, _ in s.processes) for s in busy) / (len(busy) * cores * 100)
    if share < LARGE_GENERATOR_SHARE:
        return ""
    host = sum(s.host_cpu for s in busy) / len(busy)
    return (
        f"the machine was busy ({host:.0f}% CPU for {len(busy)} of {len(samples)} s) and the load "
        f"generator took {share:.0%} of it: latencies include that contention; pin it with "
        "load.cpus or run the load elsewhere"
    )


def _in_phase(journal: Journal, phase_name: str) -> list[GeneratorSample]:
    """The samples of the seconds in the phase: a sample taken at t covers the second before it."""
    phase = resolve_phase(journal, phase_name)
    if phase.problem or not journal.generator:
        return []
    buckets = Buckets.of(phase.intervals)
    return [s for s in journal.generator if round(s.t) - 1 in buckets]


def _hot_process(samples: list[GeneratorSample], meaningful: float) -> str:
    """The first Locust process above the threshold for a meaningful share, described."""
    hot: dict[tuple[str, int], list[tuple[float, float]]] = defaultdict(list)
    for sample in samples:
        for role, pid, cpu, waited in sample.processes:
            if cpu + waited > SATURATED_CPU:
                hot[(role, pid)].append((cpu, waited))
    for (role, pid), readings in sorted(hot.items(), key=lambda item: -len(item[1])):
        if len(readings) >= meaningful:
            cpu = sum(c for c, _ in readings) / len(readings)
            waited = sum(w for _, w in readings) / len(readings)
            used = f"used {cpu:.0f}% CPU" + (f" and waited {waited:.0f}% of the time for a core" if waited >= 5 else "")
            return f"the load generator ({process_name(role, pid)}) {used} for {len(readings)} of {len(samples)} s"
    return ""


def _settled(journal: Journal) -> set[int]:
    """The load's seconds with users asked through the RAMP_SLACK seconds before (not starting)."""
    asked_at = {round(s.t): s.asked_users for s in journal.generator}
    return {
        second - 1
        for second in asked_at
        if all(asked_at.get(second - back) for back in range(RAMP_SLACK + 1))  # known and not 0
    }


def _short_users(journal: Journal, samples: list[GeneratorSample]) -> list[tuple[int, int]]:
    """(running, asked) of each sampled second the generator ran too few users."""
    running = {p.t: p.users for p in journal.series if p.endpoint == ALL_ENDPOINTS}
    asked_at = {round(s.t): s.asked_users for s in journal.generator}
    settled = _settled(journal)
    short = []
    for sample in samples:
        second = round(sample.t)
        if second - 1 not in settled:  # not known, or still starting
            continue
        asked = min(asked_at[second - back] for back in range(RAMP_SLACK + 1))
        users = running.get(second - 1)
        if users is not None and users < HELD_USERS * asked:
            short.append((users, asked))
    return short
