"""Stdio between the agent and the SDK, answering the handshake from cache while the SDK imports.

Before the SDK is imported, the process's stdin and stdout are moved onto two pipes the SDK
then serves as usual (its own stdio transport, fd claims and all); two threads carry lines
between those pipes and the agent. When the agent's first request is `initialize` and the
cache (envsim.mcp.handshake) holds the answer for its protocol version, the inbound thread
answers it at once and still passes it on, so the SDK's session is initialized as always;
the outbound thread drops the SDK's own answer to it, after comparing the two (a mismatch
removes the cache file). Until then a `tools/list` without a cursor is answered from the
cache too; everything else, and everything after, is the SDK's. Without a cached answer
every line is passed through, and the SDK's two answers are stored for the next start.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import termios
import threading
import time
from typing import Any

from envsim.mcp.handshake import HandshakeCache

DRAIN_SECONDS = 1.0  # at exit, how long the SDK's last lines may take to reach the agent


class Relay:
    def __init__(self, cache: HandshakeCache | None):
        self.cache = cache
        self._write_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._cached: dict[str, Any] | None = None  # the answers in use for this session
        self._version: str | None = None
        self._suppress: Any = None  # id of the initialize the agent got from cache
        self._sdk_live = False  # the SDK has answered initialize
        self._learning: dict[Any, str] = {}  # request id -> method, to store the SDK's answers
        self._learned: dict[str, Any] = {}
        self._first = True
        self._learn_tools_list = False  # cache miss: the next tools/list's answer is stored

    def start(self) -> None:
        """Move stdin/stdout onto pipes the SDK will serve; the agent's ends go to the threads."""
        self.agent_in, self.agent_out = os.dup(0), os.dup(1)  # not inherited by child processes
        sdk_in, self.to_sdk = os.pipe()
        self.from_sdk, sdk_out = os.pipe()
        os.dup2(sdk_in, 0)
        os.dup2(sdk_out, 1)
        os.close(sdk_in)
        os.close(sdk_out)
        threading.Thread(target=self._inbound, name="envsim-mcp-in", daemon=True).start()
        threading.Thread(target=self._outbound, name="envsim-mcp-out", daemon=True).start()

    def finish(self) -> None:
        """Let the SDK's last lines through (its stdout is never closed, so no EOF ends the thread)."""
        sys.stdout.flush()
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline and _pending(self.from_sdk):
            time.sleep(0.01)

    # ------------------------------------------------------------------ agent -> SDK

    def _inbound(self) -> None:
        with open(self.agent_in, "rb", closefd=False) as agent, open(self.to_sdk, "wb", buffering=0) as sdk:
            for line in agent:
                if self._answered_here(line):
                    continue
                try:
                    sdk.write(line)
                except OSError:
                    return  # the SDK is gone
        # leaving the `with` closed the SDK's stdin: it sees the agent's EOF

    def _answered_here(self, line: bytes) -> bool:
        """Answer from cache what may be (passing `initialize` on all the same); False: pass it on."""
        first, self._first = self._first, False
        if not (first or self._suppress is not None or self._learn_tools_list):
            return False  # the SDK serves alone now: no parsing
        message = _request(line)
        if message is None:
            return False
        method, request_id, params = message["method"], message["id"], message.get("params") or {}
        if first and method == "initialize":
            self._version = params.get("protocolVersion")
            self._cached = self.cache.load(self._version) if self.cache else None
            if self._cached is not None:
                self._suppress = request_id
                self._send_agent({"jsonrpc": "2.0", "id": request_id, "result": self._cached["initialize"]})
            elif self.cache is not None and isinstance(self._version, str):
                self._learning[request_id] = method  # before the SDK can answer it
                self._learn_tools_list = True
            return False
        if method != "tools/list" or params.get("cursor"):
            return False
        if self._learn_tools_list:
            self._learning[request_id], self._learn_tools_list = method, False
            return False
        with self._state_lock:
            early = None if self._sdk_live else self._cached
        if early is not None:
            self._send_agent({"jsonrpc": "2.0", "id": request_id, "result": early["tools/list"]})
        return early is not None

    # ------------------------------------------------------------------ SDK -> agent

    def _outbound(self) -> None:
        with open(self.from_sdk, "rb", closefd=False) as sdk:
            for line in sdk:
                if not self._dropped(line):
                    self._write_agent(line)

    def _dropped(self, line: bytes) -> bool:
        """True for the SDK's answer to an initialize the agent already got; learns uncached answers."""
        if self._suppress is None and not self._learning:
            return False
        cache, version = self.cache, self._version
        if cache is None or not isinstance(version, str):  # neither suppressing nor learning without both
            return False
        message = _response(line)
        if message is None:
            return False
        request_id = message["id"]
        if self._suppress is not None and request_id == self._suppress:
            with self._state_lock:
                self._sdk_live, self._suppress = True, None
            if self._cached is not None and message.get("result") != self._cached["initialize"]:
                cache.forget(version)  # stale after all: the next start asks the SDK
            return True
        method = self._learning.pop(request_id, None)
        if method is not None and isinstance(message.get("result"), dict):
            self._learned[method] = message["result"]
            if len(self._learned) == 2:
                cache.store(version, self._learned)
        return False

    def _send_agent(self, message: dict[str, Any]) -> None:
        self._write_agent((json.dumps(message, separators=(",", ":")) + "\n").encode())

    def _write_agent(self, data: bytes) -> None:
        with self._write_lock:
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self.agent_out, view)
                except OSError:
                    return  # the agent is gone; its EOF on stdin ends the session
                view = view[written:]


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _request(line: bytes) -> dict[str, Any] | None:
    message = _parse(line)
    if message is None or not isinstance(message.get("method"), str) or "id" not in message:
        return None
    return message if isinstance(message.get("params", {}), (dict, type(None))) else None


def _response(line: bytes) -> dict[str, Any] | None:
    message = _parse(line)
    if message is None or "method" in message or "id" not in message:
        return None
    return message


def _pending(fd: int) -> int:
    try:
        return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), sys.byteorder)
    except OSError:
        return 0
