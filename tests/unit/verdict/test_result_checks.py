"""Judging http JSON conditions, redis reads and command probes from a journal (also one read back)."""

import json

from verdict_journals import journal, steady

from envsim.config.check_kinds import CommandInvariant, HttpInvariant, RedisInvariant
from envsim.journal import Journal, ProbeResult, checks_from_dicts, checks_to_dicts
from envsim.verdict import judge
from envsim.verdict.formatting import format_bound, format_value

STATS = HttpInvariant("api", "GET", "/stats", expect="sold + stock == 100 and sold <= 100")


def test_http_json_condition_is_judged_on_the_recorded_fields():
    checks = (STATS, STATS, STATS, STATS)
    probes = (
        ProbeResult("check-1", 61, True, 200, "HTTP 200", values=(("sold", 40), ("stock", 60))),
        ProbeResult("check-2", 61, True, 200, "HTTP 200", values=(("sold", 101), ("stock", -1))),  # oversold
        ProbeResult("check-3", 61, True, 200, "HTTP 200", values=(("sold", 40),)),
        ProbeResult("check-4", 61, True, 500, "HTTP 500"),
    )
    good, oversold, missing, error = judge(journal(checks, probes=probes)).results
    assert good.passed and good.reason == (
        "GET /stats answered 200; sold + stock == 100 and sold <= 100 is true with sold = 40, stock = 60"
    )
    assert not oversold.passed and "is false with sold = 101, stock = -1" in oversold.reason
    assert not missing.passed and "the answer has no field 'stock'" in missing.reason
    assert not error.passed and error.measured == 500
    assert (format_value(error.measured, error.unit), format_bound(error)) == ("500", "= 200")


def test_a_failed_expect_reads_as_its_condition_not_as_the_status():
    # seen: a failed expect showed "measured 200 / bound = 200" beside FAIL
    probes = (ProbeResult("check-1", 61, True, 200, "HTTP 200", values=(("sold", 101), ("stock", -1))),)
    (oversold,) = judge(journal((STATS,), probes=probes)).results
    assert not oversold.passed
    assert (format_value(oversold.measured, oversold.unit), format_bound(oversold)) == ("false", "= true")
    assert oversold.reason.endswith("sold + stock == 100 and sold <= 100 is false with sold = 101, stock = -1")


def test_a_not_json_answer_says_so():
    probes = (ProbeResult("check-1", 61, True, 200, "HTTP 200; the answer is not JSON: b'<html>'"),)
    result = judge(journal((STATS,), probes=probes)).results[0]
    assert not result.passed and "the answer is not JSON" in result.reason


def test_redis_check_compares_like_sql():
    checks = (
        RedisInvariant("cache", ("SCARD", "sessions"), "equals", expected_count_of=("successes", "POST /login")),
        RedisInvariant("cache", ("GET", "sold"), "at_most", expected=100),
        RedisInvariant("cache", ("GET", "nope"), "equals", expected=0),
    )
    probes = (
        ProbeResult("check-1", 61, True, 600),
        ProbeResult("check-2", 61, True, 101),
        ProbeResult("check-3", 61, False, None, "GET nope returned nil (no such key or field)"),
    )
    sessions, sold, nil = judge(journal(checks, endpoints={"POST /login": steady(10)}, probes=probes)).results
    assert sessions.passed and sessions.bound == 600 and sessions.kind == "redis"
    assert not sold.passed and sold.measured == 101
    assert not nil.passed and "returned nil" in nil.reason


def test_command_check_exit_status_and_output():
    checks = (
        CommandInvariant("db", ("pg_isready", "-q")),
        CommandInvariant("db", ("pg_isready", "-q")),
        CommandInvariant("db", ("sh", "-c", "ls | wc -l"), None, "below", 10),
        CommandInvariant("db", ("sh", "-c", "ls | wc -l"), 0, "below", 10),
        CommandInvariant("db", ("cat", "/x"), 0, "equals", 1),
        CommandInvariant("db", ("nope",)),
    )
    probes = (
        ProbeResult("check-1", 61, True, None, "", values=(("exit", 0),)),
        ProbeResult("check-2", 61, True, None, "no response", values=(("exit", 2),)),
        ProbeResult("check-3", 61, True, 12, "12", values=(("exit", 3),)),
        ProbeResult("check-4", 61, True, 3, "3", values=(("exit", 0),)),
        ProbeResult("check-5", 61, True, None, "hello", values=(("exit", 0),)),
        ProbeResult("check-6", 61, False, None, "exec: nope: executable file not found", values=(("exit", 127),)),
    )
    ready, down, many, few, words, missing = judge(journal(checks, probes=probes)).results
    assert ready.passed and ready.reason == "exited with 0"
    assert not down.passed and down.reason == "exited with 2, expected 0 (output: 'no response')"
    assert not many.passed and many.measured == 12
    assert few.passed
    assert not words.passed and "does not start with a number" in words.reason
    assert not missing.passed and "executable file not found" in missing.reason


def test_new_checks_and_probe_values_survive_a_saved_journal():
    checks = (
        STATS,
        RedisInvariant("cache", ("HGET", "stock", "A1"), "at_least", expected=0, tolerance=1),
        CommandInvariant("db", ("pg_isready",), None, "equals", expected_count_of=("failures", "POST /x")),
    )
    dicts = json.loads(json.dumps(checks_to_dicts(checks)))
    back = checks_from_dicts(dicts)
    assert [type(c) for c in back] == [type(c) for c in checks]
    assert back[0].expect == STATS.expect and back[1].command == ("HGET", "stock", "A1") and back[2].exit_code is None
    assert checks_to_dicts(back) == checks_to_dicts(checks)
    probes = (ProbeResult("check-1", 61, True, 200, "HTTP 200", values=(("sold", 100), ("stock", 0))),)
    j = journal((STATS,), probes=probes)
    again = Journal.from_json(j.to_json())
    assert again.probes == j.probes
    assert judge(again).results[0].passed
