import json

import pytest
from verdict_journals import fault_events, journal

from envsim.config.check_kinds import HttpInvariant, MetricCheck, RecoveryCheck, SqlInvariant
from envsim.journal import Journal, ProbeResult, check_id, checks_from_dicts, checks_to_dicts
from envsim.verdict import judge

CHECKS = (
    MetricCheck("p95", "below", 0.5, label="p95 below 500ms"),
    MetricCheck("error_rate", "below", 0.05, phase="during:cache-down"),
    MetricCheck("p95", "below", 0.3, endpoint="browse", phase="after:cache-down"),
    RecoveryCheck("cache-down", 10.0),
    SqlInvariant(
        "db", "select count(*) from orders", "equals", expected_count_of=("successes", "POST /orders"), tolerance=1
    ),
    SqlInvariant("db", "select 1", "at_least", expected=1),
    HttpInvariant("api", "GET", "/healthz", port="http", expect_status=204),
)


def test_ids_are_by_position():
    assert check_id(0) == "check-1"
    assert [d["id"] for d in checks_to_dicts(CHECKS)] == [f"check-{i}" for i in range(1, 8)]


def test_dicts_are_json_and_round_trip():
    dicts = checks_to_dicts(CHECKS)
    again = json.loads(json.dumps(dicts))
    back = checks_from_dicts(again)
    assert checks_to_dicts(back) == dicts
    # the user's label is kept; a check without one gets a readable label
    assert back[0].label == "p95 below 500ms"
    assert dicts[1]["label"] == "error_rate < 5% during cache-down"
    assert dicts[2]["label"] == "p95 of browse < 300ms after cache-down"
    assert dicts[3]["label"] == "recovery after cache-down < 10s"
    assert back[4].expected_count_of == ("successes", "POST /orders")
    assert back[6] == HttpInvariant("api", "GET", "/healthz", port="http", expect_status=204, label=back[6].label)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"kind": "metric", "metric": "p42", "comparator": "below", "bound": 1}, "unknown metric"),
        ({"kind": "metric", "metric": "p95", "comparator": "under", "bound": 1}, "unknown comparator"),
        ({"kind": "metric", "metric": "p95", "comparator": "below"}, "missing field 'bound'"),
        ({"kind": "recovery", "fault": "x", "bound": "10s"}, "bound must be a number"),
        ({"kind": "sql", "service": "db", "query": "q", "comparator": "equals"}, "needs expected"),
        ({"kind": "teleport"}, "unknown check kind"),
        ("p95 < 1s", "expected an object"),
    ],
)
def test_malformed_dicts_name_the_check(bad, message):
    with pytest.raises(ValueError, match=message) as caught:
        checks_from_dicts([bad])
    assert "checks[0]" in str(caught.value)


def test_a_journal_written_to_disk_and_read_back_gives_the_same_verdict(tmp_path):
    def profile(t):
        return (10, 4, {700: 10}) if 20 <= t < 33 else (10, 0, {80: 6, 120: 4})

    original = journal(
        CHECKS,
        profile=profile,
        endpoints=None,
        faults=fault_events(("cache-down", 20.3, 30.6)),
        probes=(ProbeResult("check-5", 61, True, 600), ProbeResult("check-7", 61, True, 204)),
    )
    path = tmp_path / "journal.json"
    original.write(path)
    reread = Journal.read(path)
    assert reread == original
    assert judge(reread) == judge(original)
    assert [r.passed for r in judge(reread).results] == [False, False, False, True, False, False, True]


def test_a_format_1_journal_still_loads_with_its_timeline_as_start_and_end():
    current = json.loads(journal(CHECKS[:1]).to_json())
    current["version"] = 1
    current["planned_timeline"] = [{"fault": "db-slow", "at": 30, "for": 30}]
    old = Journal.from_json(json.dumps(current))
    assert [(s.fault, s.start, s.end) for s in old.planned_timeline] == [("db-slow", 30.0, 60.0)]
    assert old.checks[0].metric == "p95" and old.version == 3
