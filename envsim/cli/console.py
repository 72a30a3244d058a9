"""Terminal output for commands: progress on stderr (rich), results on stdout."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.markup import escape

from envsim.api import ApplyProgress

err_console = Console(stderr=True, highlight=False)


class ConsoleProgress(ApplyProgress):
    """One line per step, with the elapsed time, so long `up`s show where they are."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def step(self, subject: str, message: str) -> None:
        elapsed = time.monotonic() - self.started
        if message.startswith("WARNING"):  # e.g. a stand-in of another version than pinned: not to be missed
            message = f"[bold yellow]{escape(message)}[/bold yellow]"
        else:
            message = escape(message)
        err_console.print(f"[dim]{elapsed:6.1f}s[/dim] [bold]{escape(subject)}[/bold] {message}", soft_wrap=True)


def is_tty() -> bool:
    return sys.stdout.isatty()
