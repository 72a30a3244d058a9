"""A small threaded HTTP server on 127.0.0.1 for load-runner tests.

`/fast` answers at once; `/slow` sleeps `delay` seconds while the delay flag is set.
`DelaySwitch` is a FaultSwitch that sets and clears that flag, so a fault on the timeline
becomes measurable latency.

A hung dependency: while `hang_on` is set, `/hang` (a service calling its dependency with no
timeout of its own) waits `hang` seconds, and `/guarded` (the same service with a short
upstream timeout and a fallback answer) gives up after `guard` seconds and answers 200.
`/status/NNN` answers NNN. `HangSwitch` sets and clears `hang_on`.

A login flow: `POST /login` with a JSON body `{"user": U}` answers `{"token": T, "items":
[{"id": N}]}`, a header `X-Session` and a cookie `sid`; `/me` answers 200 and `{"user": U}`
only with `Authorization: Bearer T` and the cookie of the same login (else 401);
`/cart/ID` records the add for that login. `flow_log` keeps (path, user, body) per request.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # the listen backlog: many users may connect at once (the default is 5)


class TargetServer:
    def __init__(self, delay: float = 0.2, hang: float = 5.0, guard: float = 0.1, host: str = "127.0.0.1"):
        self.delay = delay
        self.delay_on = threading.Event()
        self.hang, self.guard = hang, guard
        self.hang_on = threading.Event()
        self.hits = {"fast": 0, "slow": 0, "other": 0}
        self.peers: set[str] = set()  # the addresses requests came from
        self._lock = threading.Lock()
        self.sessions: dict[str, tuple[str, str]] = {}  # token -> (sid, user)
        self.flow_log: list[tuple[str, str | None, object]] = []
        self._ids = itertools.count(1)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, Nagle + delayed ACK add 40 ms
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _flow(self, raw: bytes) -> bool:
                """The login flow's paths; False for any other path."""
                if not self.path.startswith(("/login", "/me", "/cart/")):
                    return False
                body = json.loads(raw) if raw else None
                headers: dict[str, str] = {}
                if self.path.startswith("/login"):
                    number = next(server._ids)
                    token, sid = f"tok{number}", f"sid{number}"
                    user = str((body or {}).get("user"))
                    with server._lock:
                        server.sessions[token] = (sid, user)
                    status, answer = 200, {"token": token, "items": [{"id": 1000 + number}]}
                    headers = {"X-Session": sid, "Set-Cookie": f"sid={sid}; Path=/"}
                else:
                    token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    cookies = dict(
                        c.strip().split("=", 1) for c in (self.headers.get("Cookie") or "").split(";") if "=" in c
                    )
                    sid, user = server.sessions.get(token, (None, None))
                    if sid is None or cookies.get("sid") != sid or self.headers.get("X-Session") != sid:
                        user = None
                    status, answer = (200, {"user": user}) if user else (401, {"error": "not logged in"})
                with server._lock:
                    server.flow_log.append(
                        (self.path, (body or {}).get("user") if self.path.startswith("/login") else user, body)
                    )
                data = json.dumps(answer).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return True

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""  # keep-alive: the body must leave the socket
                if self._flow(raw):
                    return
                kind = "slow" if self.path.startswith("/slow") else "fast" if self.path.startswith("/fast") else "other"
                with server._lock:
                    server.hits[kind] += 1
                    server.peers.add(self.client_address[0])
                if kind == "slow" and server.delay_on.is_set():
                    time.sleep(server.delay)
                status = 200 if kind != "other" else 404
                if self.path.startswith("/hang") and server.hang_on.is_set():
                    time.sleep(server.hang)
                    status = 200
                elif self.path.startswith("/guarded"):
                    if server.hang_on.is_set():
                        time.sleep(server.guard)  # the upstream call times out: answer from the fallback
                    status = 200
                elif self.path.startswith("/hang"):
                    status = 200
                elif self.path.startswith("/status/"):
                    status = int(self.path.split("/")[2])
                body = b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _Server((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> TargetServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class HangSwitch:
    """FaultSwitch: any fault makes the server's dependency hang (see /hang and /guarded)."""

    def __init__(self, server: TargetServer):
        self.server = server

    def apply(self, name: str) -> None:
        self.server.hang_on.set()

    def clear(self, name: str) -> None:
        self.server.hang_on.clear()


class DelaySwitch:
    """FaultSwitch: fault 'slow-backend' turns the server's delay on; records every call."""

    def __init__(self, server: TargetServer, log_path: str | None = None):
        self.server = server
        self.calls: list[tuple[str, str]] = []
        self.log_path = log_path

    def _log(self, kind: str, name: str) -> None:
        self.calls.append((kind, name))
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as handle:
                handle.write(f"{kind} {name}\n")

    def apply(self, name: str) -> None:
        self.server.delay_on.set()
        self._log("apply", name)

    def clear(self, name: str) -> None:
        self.server.delay_on.clear()
        self._log("clear", name)
