import math
import threading
import time

from envsim.journal import TimelineStep
from envsim.run.scheduler import FaultScheduler, plan_actions


class RecordingSwitch:
    def __init__(self, fail_on=()):
        self.calls = []
        self.fail_on = set(fail_on)
        self.lock = threading.Lock()

    def _do(self, kind, name):
        with self.lock:
            self.calls.append((kind, name))
        if (kind, name) in self.fail_on:
            raise RuntimeError(f"cannot {kind} {name}")

    def apply(self, name):
        self._do("apply", name)

    def clear(self, name):
        self._do("clear", name)


def test_actions_are_ordered_with_clears_first_at_equal_times():
    actions = plan_actions([TimelineStep("b", 2, 2 + 1), TimelineStep("a", 1, 1 + 2), TimelineStep("c", 3, math.inf)])
    assert [(a.at, a.kind, a.fault) for a in actions] == [
        (1, "apply", "a"),
        (2, "apply", "b"),
        (3, "clear", "a"),
        (3, "clear", "b"),
        (3, "apply", "c"),
    ]


def test_faults_are_applied_and_cleared_on_time():
    switch = RecordingSwitch()
    scheduler = FaultScheduler([TimelineStep("slow", 0.05, 0.05 + 0.1), TimelineStep("down", 0.1, 0.1 + 0.1)], switch)
    scheduler.start()
    assert scheduler.wait(2.0)
    assert switch.calls == [("apply", "slow"), ("apply", "down"), ("clear", "slow"), ("clear", "down")]
    events = scheduler.events
    assert [(e.fault, e.action) for e in events] == [
        ("slow", "applied"),
        ("down", "applied"),
        ("slow", "removed"),
        ("down", "removed"),
    ]
    for event in events:
        assert event.scheduled <= event.actual < event.scheduled + 0.05
    assert scheduler.active == ()


def test_actual_is_when_the_switch_call_returned():
    class SlowSwitch(RecordingSwitch):
        def apply(self, name):
            time.sleep(0.08)
            super().apply(name)

    scheduler = FaultScheduler([TimelineStep("slow", 0.0, math.inf)], SlowSwitch())
    scheduler.start()
    scheduler.wait(2.0)
    (event,) = scheduler.events
    assert event.actual - event.scheduled >= 0.08


def test_revert_all_clears_what_is_still_active_and_stops_the_timeline():
    switch = RecordingSwitch()
    scheduler = FaultScheduler([TimelineStep("forever", 0.0, math.inf), TimelineStep("later", 5.0, 5.0 + 1.0)], switch)
    scheduler.start()
    deadline = time.monotonic() + 2
    while scheduler.active != ("forever",) and time.monotonic() < deadline:
        time.sleep(0.005)
    started = time.monotonic()
    events = scheduler.revert_all("interrupted")
    assert time.monotonic() - started < 1.0  # does not wait for the 5 s action
    assert switch.calls == [("apply", "forever"), ("clear", "forever")]
    assert events[-1].action == "removed" and events[-1].detail == "interrupted"
    assert scheduler.active == ()
    assert scheduler.revert_all() == events  # idempotent
    time.sleep(0.05)
    assert switch.calls == [("apply", "forever"), ("clear", "forever")]


def test_a_failing_switch_is_recorded_and_the_fault_still_reverted():
    switch = RecordingSwitch(fail_on={("apply", "broken")})
    seen = []
    scheduler = FaultScheduler([TimelineStep("broken", 0.0, math.inf)], switch, on_event=seen.append)
    scheduler.start(time.monotonic())
    scheduler.wait(2.0)
    assert [(e.action, e.detail) for e in scheduler.events] == [("failed", "apply: cannot apply broken")]
    scheduler.revert_all()
    assert switch.calls[-1] == ("clear", "broken")
    assert [e.action for e in seen] == ["failed", "removed"]


def test_offsets_are_relative_to_the_given_t0():
    switch = RecordingSwitch()
    scheduler = FaultScheduler([TimelineStep("f", 0.3, 0.3 + 0.01)], switch)
    scheduler.start(time.monotonic() - 0.25)  # load began 0.25 s ago
    started = time.monotonic()
    scheduler.wait(2.0)
    assert time.monotonic() - started < 0.2
    assert scheduler.events[0].scheduled == 0.3 and 0.3 <= scheduler.events[0].actual < 0.35


def test_planned_steps_with_start_and_end_are_accepted():
    from envsim.plan.scenario import TimelineStep

    step = TimelineStep(fault="db-slow", start=1.0, end=4.0)
    actions = plan_actions([step])
    assert [(a.at, a.kind, a.fault) for a in actions] == [(1.0, "apply", "db-slow"), (4.0, "clear", "db-slow")]


def test_what_the_switch_says_about_an_applied_fault_is_the_events_detail():
    class NotingSwitch(RecordingSwitch):
        def apply(self, name):
            super().apply(name)
            return "iptables statistic"

    scheduler = FaultScheduler([TimelineStep("lossy", 0.0, 0.05)], NotingSwitch())
    scheduler.start()
    assert scheduler.wait(2.0)
    assert [(e.action, e.detail) for e in scheduler.events] == [("applied", "iptables statistic"), ("removed", "")]
