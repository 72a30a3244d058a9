"""What the MCP cancel and signal tests share: a copy of the example repo with a scenario that
holds a fault for most of a minute, a private state directory, stack names removed at the end,
and `envsim mcp` as a process spoken to in raw JSON-RPC lines."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import anyio
import pytest
from e2e_support import wait_for

from envsim import api
from envsim.errors import EnvironmentProblem

REPO = Path(__file__).resolve().parents[2]

# db-slow from the second second for most of a minute: a cancel lands while it is applied
CANCEL_SCENARIO = """\
envsim: 1
name: cancel-me
profile: prod-like
load:
  target: api
  users: 2
  spawn_rate: 2
  duration: 60s
  tasks:
    - {name: browse, weight: 1, request: "GET /products/db"}
timeline:
  - {at: 2s, for: 50s, fault: db-slow}
checks:
  - {metric: error_rate, below: 50%}
"""

# the payments stub answering 503 to 10% of calls (a MockServer expectation) for most of a minute
STUB_SCENARIO = """\
envsim: 1
name: flaky-me
profile: payments
load:
  target: api
  users: 2
  spawn_rate: 2
  duration: 60s
  tasks:
    - {name: browse, weight: 1, request: "GET /products"}
timeline:
  - {at: 2s, for: 50s, fault: payments-flaky}
checks:
  - {metric: error_rate, below: 50%}
"""


@pytest.fixture
def app_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for part in ("profiles", "scenarios", "examples"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".git").mkdir()
    (root / "scenarios" / "cancel-me.yaml").write_text(CANCEL_SCENARIO)
    (root / "scenarios" / "flaky-me.yaml").write_text(STUB_SCENARIO)
    return root


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ENVSIM_STATE_DIR": str(tmp_path / "state")}


@pytest.fixture
def names(engine, env):
    """Stack names a test uses; whatever a failing test left is removed, and the images built for them."""
    used: list[str] = []
    yield used
    for name in used:
        # a watcher may still hold the stack's lock for a moment after removing it
        wait_for(lambda name=name: _removed(name, env), timeout=60, interval=0.5, what=f"down {name}")


def _removed(name: str, env: dict[str, str]) -> bool:
    try:
        api.down(name, images=True, env=env)
    except EnvironmentProblem as problem:
        if "busy" in str(problem):
            return False
        raise
    return True


def new_name(names: list[str]) -> str:
    names.append(f"mcp-cancel-{uuid.uuid4().hex[:8]}")
    return names[-1]


async def settle(predicate, timeout: float, what: str) -> None:
    """wait_for, without blocking the event loop the in-memory server shares."""
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.5)


def toxics(name: str) -> list[str]:
    return [toxic for proxy in api.status(name).proxies for toxic in proxy.toxics]


def active_faults(name: str, profile: Path, env: dict[str, str]) -> list[str]:
    """As the stack's Toxiproxy and stubs show them now (toxics, disabled proxies, chaos expectations)."""
    return api.attach(name, profile=profile, env=env).active_faults()


class McpProcess:
    """`envsim mcp` in a subprocess; messages read in a thread so a test can wait for one."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "envsim", "mcp"], cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.messages: list[dict] = []
        self._arrived = threading.Condition()  # wakes a waiting test as each message arrives
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            1,
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}},
        )
        self.wait(lambda m: m.get("id") == 1, "the initialize answer")
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _read(self) -> None:
        for line in self.process.stdout:
            with self._arrived:
                self.messages.append(json.loads(line))
                self._arrived.notify_all()

    def send(self, message: dict) -> None:
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def request(self, request_id: int, method: str, params: dict) -> None:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})

    def call(self, request_id: int, tool: str, arguments: dict) -> None:
        self.request(
            request_id,
            "tools/call",
            {"name": tool, "arguments": arguments, "_meta": {"progressToken": f"p{request_id}"}},
        )

    def wait(self, accept, what: str, timeout: float = 300) -> dict:
        # woken by each message, not polled: a session's few round trips each lost up to a poll's interval
        with self._arrived:
            found = self._arrived.wait_for(lambda: next((m for m in self.messages if accept(m)), None), timeout)
        if found is None:
            raise AssertionError(f"timed out waiting for {what}")
        return found

    def progress_says(self, request_id: int, text: str):
        return lambda m: (
            m.get("method") == "notifications/progress"
            and m["params"].get("progressToken") == f"p{request_id}"
            and text in str(m["params"].get("message"))
        )

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
