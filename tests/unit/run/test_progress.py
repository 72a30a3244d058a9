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
