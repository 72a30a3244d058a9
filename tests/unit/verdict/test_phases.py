from verdict_journals import fault_events, journal

from envsim.journal import FaultEvent
from envsim.verdict.metrics import window_stats
from envsim.verdict.phases import Buckets, Interval, resolve_phase


def two_faults():
    return journal(seconds=120, faults=fault_events(("db-slow", 30.4, 60.2), ("cache-down", 90.1, 100.3)))


def test_run_covers_all_of_the_load():
    assert resolve_phase(two_faults(), "run").intervals == (Interval(0.0, 120.0),)


def test_baseline_ends_when_the_first_fault_actually_took_effect():
    assert resolve_phase(two_faults(), "baseline").intervals == (Interval(0.0, 30.4),)


def test_baseline_without_faults_is_the_whole_run():
    assert resolve_phase(journal(seconds=50), "baseline").intervals == (Interval(0.0, 50.0),)


def test_during_uses_actual_times_not_scheduled():
    events = (FaultEvent("db-slow", "applied", 30.0, 31.5), FaultEvent("db-slow", "removed", 60.0, 60.7))
    phase = resolve_phase(journal(faults=events, seconds=90), "during:db-slow")
    assert phase.intervals == (Interval(31.5, 60.7),)


def test_after_runs_until_the_next_fault_starts():
    assert resolve_phase(two_faults(), "after:db-slow").intervals == (Interval(60.2, 90.1),)


def test_after_the_last_fault_runs_to_the_end_of_load():
    assert resolve_phase(two_faults(), "after:cache-down").intervals == (Interval(100.3, 120.0),)


def test_a_fault_repeated_gives_several_intervals():
    j = journal(seconds=100, faults=fault_events(("blip", 10, 20), ("blip", 50, 60)))
    assert resolve_phase(j, "during:blip").intervals == (Interval(10, 20), Interval(50, 60))
    assert resolve_phase(j, "after:blip").intervals == (Interval(20, 50), Interval(60, 100.0))


def test_fault_never_removed_lasts_until_the_end_and_has_no_after():
    j = journal(seconds=40, faults=fault_events(("down", 10, None)))
    assert resolve_phase(j, "during:down").intervals == (Interval(10, 40.0),)
    assert "never removed" in resolve_phase(j, "after:down").problem


def test_unknown_or_failed_fault_is_a_problem_not_an_empty_window():
    failed = (FaultEvent("db-slow", "failed", 10, 10.2, detail="proxy not found"),)
    j = journal(faults=failed)
    assert "failed to apply (proxy not found)" in resolve_phase(j, "during:db-slow").problem
    assert "never applied" in resolve_phase(j, "during:nope").problem
    assert "unknown phase" in resolve_phase(j, "sometime").problem


def test_buckets_of_overlapping_intervals_count_each_second_once_without_listing_them():
    buckets = Buckets.of([Interval(10, 20), Interval(15, 30), Interval(40, 41), Interval(5, 5)])
    assert buckets.ranges == (range(10, 30), range(40, 41))
    assert len(buckets) == 21
    assert 29 in buckets and 30 not in buckets and 40 in buckets and 5 not in buckets
    month = Buckets.of([Interval(0, 31 * 24 * 3600)])  # a month of seconds, held as one range
    assert len(month) == 2_678_400 and month.ranges == (range(0, 2_678_400),)
    stats = window_stats(journal(seconds=5).series, [Interval(0, 31 * 24 * 3600)])
    assert stats.seconds == 2_678_400 and stats.requests > 0
