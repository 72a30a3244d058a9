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
