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
