"""Clean-up blocks run to their end when SIGINT/SIGTERM arrive; the signals are reported after."""

from __future__ import annotations

import os
import signal

from envsim.interrupts import uninterrupted


def test_signals_during_the_block_are_noted_and_the_block_finishes():
    steps = []
    previous = signal.getsignal(signal.SIGTERM)
    with uninterrupted() as received:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        steps.append("removed everything")
    assert steps == ["removed everything"]
    assert received.signals == [signal.SIGINT, signal.SIGTERM] and bool(received)
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers are put back


def test_a_quiet_block_reports_nothing():
    with uninterrupted() as received:
        pass
    assert not received


def test_a_deferred_call_finishes_then_the_signal_is_delivered_to_the_usual_handler():
    from envsim.interrupts import deferred

    steps = []
    try:
        with deferred():
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("network created")  # the engine's answer is not lost
        steps.append("went on as if nothing happened")
    except KeyboardInterrupt:
        steps.append("interrupted after the call")
    assert steps == ["network created", "interrupted after the call"]


def test_a_deferred_call_that_fails_still_delivers_the_signal():
    from envsim.interrupts import deferred

    try:
        with deferred():
            os.kill(os.getpid(), signal.SIGINT)
            raise RuntimeError("the engine refused")
    except KeyboardInterrupt:
        outcome = "interrupted"
    except RuntimeError:
        outcome = "the failure hid the signal"
    assert outcome == "interrupted"


def test_a_signal_noted_while_the_handlers_are_put_back_is_still_delivered(monkeypatch):
    """A signal whose handler runs just as the block's handlers are being put back is noted by
    the block's handler; read before that, it was lost."""
    from envsim import interrupts

    real_signal = signal.signal
    late = []

    def putting_back(signum, handler):
        current = signal.getsignal(signum)
        if signum == signal.SIGINT and not late and callable(current) and current is not handler:
            late.append(signum)
            current(signal.SIGINT, None)  # the handler of the block runs only now
        return real_signal(signum, handler)

    try:
        with interrupts.deferred():
            monkeypatch.setattr(interrupts.signal, "signal", putting_back)
        outcome = "lost"
    except KeyboardInterrupt:
        outcome = "interrupted"
    monkeypatch.undo()
    assert late and outcome == "interrupted"
