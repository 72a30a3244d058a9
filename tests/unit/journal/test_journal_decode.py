"""A saved journal with wrong types inside is refused where it is read, naming the field."""

from __future__ import annotations

import dataclasses
import json

import pytest

from envsim import api
from envsim.config.check_kinds import MetricCheck
from envsim.journal import ALL_ENDPOINTS, GeneratorSample, Journal, StatsPoint, TimelineStep


def _journal() -> dict:
    return Journal(
        run_id="r",
        started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:00:10Z",
        duration=10.0,
        profile="p",
        scenario="s",
        profile_digest="d",
        scenario_digest="d",
        environment={},
        planned_timeline=(TimelineStep("db-slow", 2, 5),),
        checks=(MetricCheck("p95", "below", 0.5),),
        series=(StatsPoint(0, ALL_ENDPOINTS, 10, 0, ((40, 10),)), StatsPoint(0, "browse", 10, 0, ((40, 10),))),
    ).to_dict()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["series"][1].update(endpoint=True), "journal.series[1].endpoint: expected text, got true/false"),
        (
            lambda d: d["series"][0].update(response_times=[[40]]),
            "journal.series[0].response_times[0]: expected 2 items",
        ),
        (
            lambda d: d["series"][0].update(requests="10"),
            "journal.series[0].requests: expected a whole number, got text",
        ),
        (lambda d: d["series"][0].pop("t"), "journal.series[0]: missing field 't'"),
        (lambda d: d["series"][0].update(colour="red"), "journal.series[0]: unknown field 'colour'"),
        (lambda d: d.update(faults={}), "journal.faults: expected a list, got an object"),
        (
            lambda d: d["planned_timeline"][0].update(end=None),
            "journal.planned_timeline[0].end: expected a number, got null",
        ),
        # a time no run has: the verdict walks the run second by second (1e12 ran out of memory)
        (
            lambda d: d.update(duration=10**12),
            "journal.duration: 1e+12 seconds is not a time within a run (at most 31 days)",
        ),
        (lambda d: d["series"][0].update(t=-(10**9)), "journal.series[0].t: -1e+09 seconds is not a time within a run"),
        (lambda d: d["planned_timeline"][0].update(start=1e300), "journal.planned_timeline[0].start: 1e+300 seconds"),
    ],
)
def test_a_wrong_type_is_an_input_error_naming_the_field(tmp_path, edit, message):
    data = _journal()
    edit(data)
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(data))
    with pytest.raises(api.InputError) as refused:
        api.read_journal(path)
    assert str(refused.value).startswith(f"{path}: not a valid envsim journal: {message}")


def test_a_good_journal_reads_back_equal(tmp_path):
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(_journal()))
    assert api.read_journal(path).to_dict() == _journal()


def test_the_generator_samples_keep_the_rate_asked_and_sent_and_older_ones_read_as_unknown(tmp_path):
    sample = GeneratorSample(1.0, 50.0, (("locust", 7, 40.0, 0.0),), 10, asked_rate=50.0, achieved_rate=31)
    data = {**_journal(), "generator": [dataclasses.asdict(sample)]}
    path = tmp_path / "journal.json"
    path.write_text(json.dumps(data))
    assert api.read_journal(path).generator == (sample,)
    for key in ("asked_rate", "achieved_rate"):
        del data["generator"][0][key]
    path.write_text(json.dumps(data))
    (older,) = api.read_journal(path).generator
    assert older.asked_rate == 0.0 and older.achieved_rate is None
