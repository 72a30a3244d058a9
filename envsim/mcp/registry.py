"""The stacks this MCP server is responsible for, and the watcher that cleans up after it.

The server tears down what it started when it stops (its lifespan), but the process may not
get to finish: an agent's stdio client closes stdin, waits 2 s, then SIGTERMs and SIGKILLs
the server's process group, and removing a stack takes longer than that. So, from the first
stack this server starts, a small watcher process runs in a session of its own (out of reach
of that group kill) and receives, over a pipe, what the server would have to undo if it died
now: stacks to remove (started here, or being started) and stacks whose faults a run is
applying. When the pipe closes (the server exited, however) the watcher undoes what the last
state lists; after a clean shutdown that state is empty and the watcher does nothing. This is
testcontainers' reaper, for one process.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from envsim import api
from envsim.api import Profile
from envsim.mcp.workspace import Workspace


class Registry:
    """Stacks this server started (name -> profile), stacks being started, runs on others' stacks; thread-safe."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self._lock = threading.Lock()
        self._stacks: dict[str, Profile] = {}
        self._starting: dict[str, int] = {}  # name -> number of tools starting it
        self._runs: dict[str, tuple[Path, int]] = {}  # foreign stack -> (profile file, runs on it)
        self._watcher: subprocess.Popen | None = None

    def add(self, name: str, profile: Profile) -> None:
        with self._lock:
            self._stacks[name] = profile
            self._publish()

    def discard(self, name: str) -> bool:
        with self._lock:
            found = self._stacks.pop(name, None) is not None
            self._publish()
            return found

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._stacks)

    def profile_of(self, name: str) -> Profile | None:
        with self._lock:
            return self._stacks.get(name)

    def name_for(self, profile: Profile) -> str | None:
        with self._lock:
            return next((n for n, p in self._stacks.items() if p.source == profile.source), None)

    @contextlib.contextmanager
    def starting(self, name: str | None) -> Iterator[None]:
        """While a tool brings stack `name` up (None: it does not), the watcher would remove it."""
        if name is None:
            yield
            return
        with self._lock:
            self._starting[name] = self._starting.get(name, 0) + 1
            self._publish()
        try:
            yield
        finally:
            with self._lock:
                self._starting[name] -= 1
                if not self._starting[name]:
                    del self._starting[name]
                self._publish()

    @contextlib.contextmanager
    def running_on(self, name: str, profile: Profile) -> Iterator[None]:
        """While a scenario runs on a stack this server did not start, the watcher would clear its faults."""
        with self._lock:
            _, count = self._runs.get(name, (profile.source, 0))
            self._runs[name] = (profile.source, count + 1)
            self._publish()
        try:
            yield
        finally:
            with self._lock:
                source, count = self._runs[name]
                if count > 1:
                    self._runs[name] = (source, count - 1)
                else:
                    del self._runs[name]
                self._publish()

    def teardown_all(self) -> list[str]:
        """Remove every stack this server started (on shutdown); the names removed."""
        removed = []
        for name in self.names():
            try:
                api.down(name, env=self.workspace.env)
                removed.append(name)
            except Exception:  # noqa: BLE001 - shutdown removes what it can; the watcher retries
                continue
            self.discard(name)
        return removed

    def close(self) -> None:
        """Hand the watcher the final state (what could not be undone here) and let it go."""
        with self._lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None and watcher.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                watcher.stdin.close()

    # ------------------------------------------------------------------ the watcher

    def _state(self) -> dict[str, Any]:
        return {
            "down": sorted(set(self._stacks) | set(self._starting)),
            "clear_faults": [
                [name, str(source)] for name, (source, _) in sorted(self._runs.items()) if name not in self._stacks
            ],
        }

    def _publish(self) -> None:
        """Send the watcher the current state (lock held); spawn it the first time there is something."""
        state = self._state()
        if self._watcher is None:
            if not state["down"] and not state["clear_faults"]:
                return
            self._watcher = _spawn_watcher(self.workspace)
        stdin = self._watcher.stdin
        try:
            if stdin is None:  # spawned with a pipe: never
                raise OSError("the watcher has no stdin")
            stdin.write((json.dumps(state) + "\n").encode())
            stdin.flush()
        except (OSError, ValueError):  # the watcher is gone: the lifespan still tears down
            self._watcher = None


def _spawn_watcher(workspace: Workspace) -> subprocess.Popen:
    # start_new_session: out of the process group an agent's client kills; no inherited pipes
    # to the agent, so the agent never waits for the watcher's output
    return subprocess.Popen(
        [sys.executable, "-m", "envsim.mcp.watcher"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=workspace.root,
        env=dict(workspace.env),
        start_new_session=True,
    )
