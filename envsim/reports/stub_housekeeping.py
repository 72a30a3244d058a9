"""MockServer's log entries about itself and about envsim driving it (its start-up notices;
loading, clearing and reading back expectations and request logs), told apart from what it
says about the calls the app under test made.

A stub's log is MockServer's: an entry is a first line ("2026-01-01 12:00:00 7.6.0 INFO ...")
and indented or blank lines after it (a matcher's JSON, a list of settings). These entries
say nothing about the app, so a report must not show them as the stub's words.
"""

from __future__ import annotations

import re

# MockServer's message formats for the control-plane calls envsim makes (HttpState) and for
# its start-up (seen again when a fault restarts the stub's container)
HOUSEKEEPING = re.compile(
    r"clearing (expectations and logs|expectations|logs) that match"
    r"|resetting all expectations and request logs"
    r"|retrieving (requests|logs|recorded expectations|active expectations)"
    r"|(creating|updated|removed) expectation"
    r"|unrecognised MockServer configuration"
    r"|using environment variables:"
    r"|Forward proxy is configured to trust"
    r"|MockServer is signing TLS traffic"
    r"|logger level is \w+, change using"
    r"|started on port"
)


def is_continuation(line: str) -> bool:
    """An indented or blank line: part of the entry above it."""
    return not line.strip() or line[:1].isspace()


def housekeeping_mask(lines: tuple[str, ...] | list[str]) -> list[bool]:
    """Per line, whether it belongs to a housekeeping entry (its first line or what follows it)."""
    mask: list[bool] = []
    inside = False
    for line in lines:
        if not is_continuation(line):
            inside = bool(HOUSEKEEPING.search(line))
        mask.append(inside)
    return mask
