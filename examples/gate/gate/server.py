"""HTTP front: routes to Gate, JSON in and out, a fixed pool of worker threads."""

from __future__ import annotations

import json
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import psycopg
import redis

from .app import Gate, HttpError
from .settings import Settings

log = logging.getLogger("gate")


class PoolHTTPServer(HTTPServer):
    """Requests are served by `workers` threads; the rest wait their turn, as in a production
    app server. This is what lets one hanging dependency stall every route."""

    daemon_threads = True

    def __init__(self, address, handler, workers: int):
        super().__init__(address, handler)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="worker")

    def process_request(self, request, client_address):
        self._pool.submit(self._serve, request, client_address)

    def _serve(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - one request's failure never stops the server
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self):
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


def route(gate: Gate, method: str, path: str, query: dict, body: dict, cookies: dict):
    """(status, JSON payload, extra headers)."""
    q = {k: v[0] for k, v in query.items()}
    if method == "GET" and path == "/healthz":
        return 200, gate.health(), {}
    if method == "GET" and path == "/catalog":
        return 200, gate.catalog(), {}
    if method == "GET" and path.startswith("/products/"):
        return 200, gate.product(path.removeprefix("/products/")), {}
    if method == "GET" and path == "/customers":
        return 200, gate.customer(q.get("email", "")), {}
    if method == "GET" and path == "/quote":
        return 200, gate.quote(q.get("sku", "A1")), {}
    if method == "POST" and path == "/ship":
        return 201, gate.ship(str(body.get("sku", "A1"))), {}
    if method == "POST" and path == "/pay":
        return 201, gate.pay(int(body.get("amount", 1000))), {}
    if method == "POST" and path == "/login":
        sid = gate.login(str(body.get("user", "")))
        return 200, {"session": sid}, {"Set-Cookie": f"sid={sid}; Path=/; HttpOnly"}
    if method == "GET" and path == "/cart":
        return 200, gate.cart(cookies.get("sid")), {}
    if method == "POST" and path == "/buy":
        return 201, gate.buy(str(body.get("sku", "R1"))), {}
    if method == "GET" and path.startswith("/inventory/"):
        return 200, gate.inventory(path.removeprefix("/inventory/")), {}
    raise HttpError(404, f"no route {method} {path}")


def make_handler(gate: Gate):
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection. With a fixed pool of workers, an idle
        # keep-alive connection (a balancer keeps them) would hold a worker forever.
        protocol_version = "HTTP/1.0"
        timeout = 30  # seconds a client may take to send its request

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            headers: dict = {}
            try:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                cookie = SimpleCookie(self.headers.get("Cookie") or "")
                status, payload, headers = route(
                    gate, method, url.path, parse_qs(url.query), body, {k: m.value for k, m in cookie.items()}
                )
            except HttpError as error:
                status, payload = error.status, {"error": str(error)}
            except (psycopg.Error, redis.RedisError, OSError) as error:
                log.error("%s %s: %s", method, url.path, error)
                status, payload = 503, {"error": f"{type(error).__name__}: {error}"}
            except ValueError as error:
                status, payload = 400, {"error": str(error)}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            if status >= 500:
                log.warning("%s %s -> %d %s", method, url.path, status, payload.get("error", ""))

        def log_message(self, fmt, *args):  # access log off; errors are logged above
            pass

    return Handler


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    gate = Gate.from_settings(settings)
    server = PoolHTTPServer((settings.host, settings.port), make_handler(gate), settings.workers)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log.info(
        "listening on %s:%d (%s variant, %d workers)",
        settings.host,
        settings.port,
        "fixed" if settings.fixed else "buggy",
        settings.workers,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
