"""Clean-up that a second Ctrl-C (or a SIGTERM) must not cut short.

The first signal starts envsim's clean-up; one arriving while containers are being removed
would otherwise raise KeyboardInterrupt in the middle and leave half a stack behind. Inside
`uninterrupted()` such signals are only noted; the caller looks at `received` afterwards and
ends with exit 130 once everything is undone.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Received:
    signals: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.signals)


@contextlib.contextmanager
def uninterrupted() -> Iterator[Received]:
    """Run the block to its end; SIGINT/SIGTERM meanwhile are recorded in the yielded object."""
    received = Received()
    if threading.current_thread() is not threading.main_thread():
        yield received  # signal handlers can only be set from the main thread
        return

    def note(signum: int, frame: object) -> None:
        received.signals.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Run an engine call that creates something to its end, then deliver a signal that came
    meanwhile. Cut short, the request is already sent but its answer is lost, and the clean-up
    that follows would list the stack's resources before the engine had made this one (seen:
    a network left by `up` interrupted at that moment, 2 in 100 trials)."""
    received = Received()
    try:
        with uninterrupted() as received:
            yield
    finally:
        # read only once the usual handlers are back: a signal noted while they were being put
        # back, after an earlier read, would be lost
        for signum in received.signals[:1]:  # also when the call failed: the interrupt wins
            signal.raise_signal(signum)  # the restored handler: cancel, then KeyboardInterrupt
