"""SIGINT/SIGTERM handling for long commands: stop starting work, then clean up once.

The first signal sets the cancel Event (worker threads stop at their next check) and raises
KeyboardInterrupt in the main thread, which unwinds through the cleanup code. Later signals
only say that cleanup is under way, so a second Ctrl-C cannot leave things half removed.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import click


@contextlib.contextmanager
def interruptible() -> Iterator[threading.Event]:
    cancel = threading.Event()

    def handle(signum, frame):
        if cancel.is_set():
            click.echo("envsim: cleaning up, please wait", err=True)
            return
        cancel.set()
        click.echo(f"envsim: {signal.Signals(signum).name} received, stopping and cleaning up", err=True)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield cancel
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
