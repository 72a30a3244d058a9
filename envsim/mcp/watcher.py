"""`python -m envsim.mcp.watcher`: undo what an `envsim mcp` server left when it exited.

Started by envsim.mcp.registry in a session of its own. Reads JSON states from stdin, one a
line (`{"down": [stack, ...], "clear_faults": [[stack, profile file], ...]}`), keeping the
last; at EOF (the server exited, cleanly or killed) it clears the faults and removes the
stacks that state lists. Prints nothing: its output goes nowhere.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

NOTHING: dict[str, Any] = {"down": [], "clear_faults": []}


def last_state(lines) -> dict[str, Any]:
    state = NOTHING
    for line in lines:
        try:
            parsed = json.loads(line)
        except ValueError:
            continue  # a line cut short by the server's death: the previous state stands
        if isinstance(parsed, dict):
            state = parsed
    return state


def undo(state: dict[str, Any]) -> None:
    from envsim import api

    env = dict(os.environ)
    for name, profile in state.get("clear_faults", []):
        try:
            api.attach(name, profile=profile, env=env).clear_fault(None)
        except Exception:  # noqa: BLE001 - the stack may be gone already
            continue
    for name in state.get("down", []):
        try:
            api.down(name, env=env)
        except Exception:  # noqa: BLE001 - remove what can be removed
            continue


def main() -> None:
    state = last_state(sys.stdin.buffer)
    if state.get("down") or state.get("clear_faults"):
        undo(state)


if __name__ == "__main__":
    main()
