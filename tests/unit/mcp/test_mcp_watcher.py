"""The watcher that undoes what a dead `envsim mcp` left: which state it acts on. No Docker."""

from __future__ import annotations

import json

from envsim.mcp.watcher import NOTHING, last_state


def test_the_last_complete_state_counts():
    first = {"down": ["a"], "clear_faults": []}
    final = {"down": [], "clear_faults": [["b", "/repo/profiles/b.yaml"]]}
    lines = [json.dumps(first).encode() + b"\n", json.dumps(final).encode() + b"\n", b'{"down": ["c"']
    assert last_state(lines) == final  # the line cut short by a kill is ignored


def test_no_state_means_nothing_to_undo():
    assert last_state([]) == NOTHING
