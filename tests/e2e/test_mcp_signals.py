"""`envsim mcp` as a process, stopped while it holds a stack: SIGTERM mid-run, SIGINT mid-up,
stdin closed while idle each revert faults and remove the stacks the session started before
the process exits; SIGKILL leaves the job to its watcher. Counted in the engine.

Spoken to over raw JSON-RPC lines (no SDK client, which would close and kill on its own terms).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from e2e_support import NOTHING_LEFT, leftovers, wait_for
from mcp_support import app_repo, env, names, new_name, toxics  # noqa: F401 - fixtures


class McpProcess:
    """`envsim mcp` in a subprocess; messages read in a thread so a test can wait for one."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.process = subprocess.Popen([sys.executable, "-m", "envsim", "mcp"], cwd=root, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.messages: list[dict] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.request(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                       "clientInfo": {"name": "test", "version": "0"}})
        self.wait(lambda m: m.get("id") == 1, "the initialize answer")
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._lock:
                self.messages.append(json.loads(line))

    def send(self, message: dict) -> None:
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def request(self, request_id: int, method: str, params: dict) -> None:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})

    def call(self, request_id: int, tool: str, arguments: dict) -> None:
        self.request(request_id, "tools/call", {"name": tool, "arguments": arguments,
                                                "_meta": {"progressToken": f"p{request_id}"}})

    def wait(self, accept, what: str, timeout: float = 300) -> dict:
        def found():
            with self._lock:
                return next((m for m in self.messages if accept(m)), None)

        return wait_for(found, timeout=timeout, what=what)

    def progress_says(self, request_id: int, text: str):
        return lambda m: (m.get("method") == "notifications/progress"
                          and m["params"].get("progressToken") == f"p{request_id}"
                          and text in str(m["params"].get("message")))

    def stop(self, how: str, timeout: float = 180) -> int:
        if how == "eof":
            self.process.stdin.close()
        else:
            self.process.send_signal(getattr(signal, how))
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def test_sigterm_mid_run_reverts_faults_and_removes_the_sessions_stack(app_repo, env, engine, names):
    name = new_name(names)
    server = McpProcess(app_repo, env)
    server.call(2, "up", {"profile": "prod-like", "name": name})
    up = server.wait(lambda m: m.get("id") == 2, "the up answer")
    assert not up["result"].get("isError"), up
    server.call(3, "run_scenario", {"path": "cancel-me", "name": name})
    server.wait(server.progress_says(3, "db-slow applied"), "db-slow applied")
    assert wait_for(lambda: toxics(name), timeout=10, what="the toxic in Toxiproxy")
    assert server.stop("SIGTERM") == 130
    assert leftovers(engine, name) == NOTHING_LEFT


def test_sigint_mid_up_removes_what_was_started(app_repo, env, engine, names):
    name = new_name(names)
    server = McpProcess(app_repo, env)
    server.call(2, "up", {"profile": "prod-like", "name": name})
    wait_for(lambda: leftovers(engine, name)["containers"] >= 2, timeout=120, what="containers to start")
    assert server.stop("SIGINT") == 130
    assert leftovers(engine, name) == NOTHING_LEFT


def test_stdin_closed_removes_the_sessions_stack_then_exits(app_repo, env, engine, names):
    name = new_name(names)
    server = McpProcess(app_repo, env)
    server.call(2, "up", {"profile": "prod-like", "name": name})
    server.wait(lambda m: m.get("id") == 2, "the up answer")
    assert leftovers(engine, name)["containers"] >= 4
    assert server.stop("eof") == 0
    assert leftovers(engine, name) == NOTHING_LEFT


def test_sigkill_leaves_the_removal_to_the_watcher(app_repo, env, engine, names):
    name = new_name(names)
    server = McpProcess(app_repo, env)
    server.call(2, "up", {"profile": "prod-like", "name": name})
    server.wait(lambda m: m.get("id") == 2, "the up answer")
    assert leftovers(engine, name)["containers"] >= 4
    server.stop("SIGKILL")
    started = time.monotonic()
    wait_for(lambda: leftovers(engine, name) == NOTHING_LEFT, timeout=120, what="the watcher to remove the stack")
    print(f"the watcher removed the stack {time.monotonic() - started:.1f} s after SIGKILL")
