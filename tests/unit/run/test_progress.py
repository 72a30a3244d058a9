import io

from envsim.journal import FaultEvent, StatsPoint
from envsim.run.progress import ObserverGroup, PlainProgress, RunObserver, RunStart, console_observer, percentile_ms


def test_percentile_of_a_histogram():
    assert percentile_ms(((10, 90), (200, 10)), 0.95) == 200
    assert percentile_ms(((10, 90), (200, 10)), 0.5) == 10
    assert percentile_ms((), 0.95) is None


def test_plain_progress_prints_every_five_seconds_and_faults():
    out = io.StringIO()
    view = PlainProgress(out)
    view.on_start(RunStart(duration=10, users=5, target_url="http://x"))
    for t in range(6):
        view.on_second([StatsPoint(t, "", 100, 5, ((10, 95), (300, 5)), users=5)])
    view.on_fault(FaultEvent("db-slow", "applied", 5.0, 5.01))
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "users 5" in lines[0] and "rps 100.0" in lines[0] and "p95 10ms" in lines[0] and "errors 5.0%" in lines[0]
    assert "db-slow applied" in lines[1]
    assert view.snapshot().active_faults == ("db-slow",)


def test_group_fans_out_and_default_hooks_do_nothing():
    calls = []

    class Recorder(RunObserver):
        def on_fault(self, event):
            calls.append(event.fault)

    group = ObserverGroup(RunObserver(), Recorder(), Recorder())
    group.on_start(RunStart(1, 1, "http://x"))
    group.on_second([])
    group.on_fault(FaultEvent("f", "applied", 0, 0))
    assert calls == ["f", "f"]


def test_console_observer_is_plain_when_not_a_tty():
    assert isinstance(console_observer(io.StringIO()), PlainProgress)


def test_snapshot_shows_the_faults_of_the_second_its_stats_are_for():
    view = PlainProgress(io.StringIO(), every=1000)
    view.on_start(RunStart(duration=30, users=5, target_url="http://x"))
    view.on_fault(FaultEvent("db-slow", "applied", 10.0, 10.2))
    view.on_fault(FaultEvent("cache-down", "applied", 4.0, 4.1))
    # the fault events arrive before the stats of the seconds they fall in
    view.on_second([StatsPoint(8, "", 100, 0, ((10, 100),), users=5)])
    assert view.snapshot().active_faults == ("cache-down",)  # [8, 9): db-slow not applied yet
    view.on_second([StatsPoint(9, "", 100, 0, ((10, 100),), users=5)])
    assert view.snapshot().active_faults == ("cache-down",)  # ends at 10.0, db-slow at 10.2
    view.on_second([StatsPoint(10, "", 100, 0, ((10, 100),), users=5)])
    assert view.snapshot().active_faults == ("cache-down", "db-slow")
    view.on_fault(FaultEvent("cache-down", "removed", 12.0, 12.05))
    view.on_fault(FaultEvent("db-slow", "failed", 12.0, 12.1))
    view.on_second([StatsPoint(11, "", 100, 0, ((10, 100),), users=5)])
    assert view.snapshot().active_faults == ("cache-down", "db-slow")  # removal is after 12.0
    view.on_second([StatsPoint(12, "", 100, 0, ((10, 100),), users=5)])
    assert view.snapshot().active_faults == ("db-slow",)


def test_snapshot_before_any_stats_shows_no_faults():
    view = PlainProgress(io.StringIO())
    view.on_start(RunStart(duration=30, users=5, target_url="http://x"))
    view.on_fault(FaultEvent("db-slow", "applied", 0.0, 0.01))
    assert view.snapshot().active_faults == ()


def _line_after(*points):
    out = io.StringIO()
    view = PlainProgress(out, every=1)
    view.on_start(RunStart(duration=30, users=12, target_url="http://x"))
    for point in points:
        view.on_second([point])
    return out.getvalue().splitlines()[-1]


def test_a_hang_reads_as_requests_in_flight_not_as_an_idle_second():
    # 12 users all waiting on a hung dependency: nothing began or ended in second 7
    line = _line_after(StatsPoint(7, "", 0, 0, (), users=12, in_flight=12, oldest_in_flight=4.08))
    assert "rps 0.0 (12 in flight, oldest 4.1s)" in line
    assert "errors -" in line and "errors 0.0%" not in line


def test_slow_requests_count_in_the_second_they_started():
    # a slow query: 6 requests sent in second 3, none answered when the second ended
    line = _line_after(StatsPoint(3, "", 0, 0, (), users=6, in_flight=6, oldest_in_flight=0.9, started=6))
    assert "rps 6.0 (6 in flight, oldest 0.9s)" in line and "errors -" in line


def test_requests_of_a_client_the_start_hook_misses_still_count_when_they_end():
    line = _line_after(StatsPoint(3, "", 40, 2, ((10, 40),), users=6, started=0))
    assert "rps 40.0  " in line and "errors 5.0%" in line
