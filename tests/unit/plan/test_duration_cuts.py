"""A load shorter than the timeline: the faults it cuts off and the checks left without a window."""

from pathlib import Path

from envsim.api import load_scenario
from envsim.plan.duration_cuts import duration_cuts

CHECKOUT = Path(__file__).resolve().parents[3] / "scenarios" / "checkout.yaml"


def test_the_scenario_as_written_cuts_nothing():
    assert duration_cuts(load_scenario(CHECKOUT)) == []


def test_a_shorter_duration_names_the_faults_and_the_checks_it_cuts_off():
    # timeline: db-slow 20s-30s, cache-down 40s-45s
    lines = duration_cuts(load_scenario(CHECKOUT, duration="25s"))
    assert lines == [
        "fault db-slow is cut off at 25s: it was to last until 30s",
        "fault cache-down (at 40s) never starts: the load lasts 25s",
        "check error_rate < 5% during cache-down cannot be measured: fault cache-down is never applied",
        "check recovery after db-slow < 10s cannot be measured: fault db-slow is never removed before the load ends",
        "check recovery after cache-down < 10s cannot be measured: fault cache-down is never applied",
    ]


def test_a_check_during_a_cut_fault_still_has_its_window():
    lines = duration_cuts(load_scenario(CHECKOUT, duration="25s"))
    assert not any("during db-slow" in line for line in lines)
