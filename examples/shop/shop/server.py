"""The HTTP API: routes, JSON in and out, errors mapped to status codes."""

from __future__ import annotations

import json
import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import redis

from .cache import Cache
from .config import Settings
from .database import Database, DatabaseUnavailable
from .payments import PaymentFailed, PaymentsClient

log = logging.getLogger("shop")

PRODUCTS_SQL = "SELECT sku, name, price::float8 FROM products ORDER BY sku"
PRODUCTS_CACHE_KEY = "shop:products:v1"


class Shop:
    """What the endpoints do, apart from HTTP."""

    def __init__(self, settings: Settings, database: Database, cache: Cache):
        self.settings = settings
        self.database = database
        self.cache = cache
        self.payments = (
            PaymentsClient(
                settings.payments_url,
                settings.payments_token,
                settings.payments_token_file,
                settings.payments_api_version,
                cache_token=settings.payments_token_cache,
            )
            if settings.payments_url
            else None
        )

    def health(self) -> tuple[int, dict]:
        report = {}
        try:
            self.database.fetch("SELECT 1")
            report["db"] = "ok"
        except (psycopg.Error, DatabaseUnavailable) as error:
            report["db"] = f"error: {_first_line(error)}"
        try:
            self.cache.ping()
            report["cache"] = "ok"
        except redis.RedisError as error:
            report["cache"] = f"error: {_first_line(error)}"
        healthy = all(value == "ok" for value in report.values())
        return (200 if healthy else 503), report

    def products(self, *, use_cache: bool) -> tuple[list[dict], str]:
        if use_cache:
            cached, status = self.cache.get_json(PRODUCTS_CACHE_KEY)
            if cached is not None:
                return cached, status
        else:
            status = "bypass"
        rows = self.database.fetch(PRODUCTS_SQL)
        products = [{"sku": sku, "name": name, "price": price} for sku, name, price in rows]
        if use_cache and status == "miss":
            self.cache.set_json(PRODUCTS_CACHE_KEY, products, self.settings.cache_ttl)
        return products, status

    def place_order(self, body: object) -> tuple[int, dict]:
        if not isinstance(body, dict):
            return 400, {"error": "expected a JSON object {sku, qty}"}
        sku, qty = body.get("sku"), body.get("qty", 1)
        if not isinstance(sku, str) or not sku:
            return 400, {"error": "sku must be a non-empty string"}
        if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= 1000:
            return 400, {"error": "qty must be an integer from 1 to 1000"}
        rows = self.database.fetch(
            "INSERT INTO orders (sku, qty, price) SELECT sku, %s, price * %s FROM products WHERE sku = %s RETURNING id",
            (qty, qty, sku),
            idempotent=False,
        )
        if not rows:
            return 422, {"error": f"unknown sku {sku!r}"}
        return 201, {"id": rows[0][0], "sku": sku, "qty": qty}

    def pay_order(self, body: object) -> tuple[int, dict]:
        """Place the order, then charge it; a charge that fails after retries is a 502."""
        if self.payments is None:
            return 503, {"error": "payments are not configured (PAYMENTS_URL)"}
        status, order = self.place_order(body)
        if status != 201:
            return status, order
        ((total,),) = self.database.fetch("SELECT price FROM orders WHERE id = %s", (order["id"],))
        try:
            charge = self.payments.charge(order["id"], round(float(total) * 100))
        except PaymentFailed as error:
            log.warning("payment for order %s failed: %s", order["id"], error)
            return 502, {"error": "payment failed", "provider_status": error.status, "order": order["id"]}
        return 201, {**order, "charge": charge.get("id"), "paid": True}

    def order_count(self) -> dict:
        ((count,),) = self.database.fetch("SELECT count(*) FROM orders")
        return {"count": count}


class ShopHandler(BaseHTTPRequestHandler):
    # Keep-alive, as load generators and proxies use it; every response has a length.
    protocol_version = "HTTP/1.1"
    server_version = "shop/1"
    shop: Shop  # set on the subclass made by make_server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._guarded(lambda: self.shop.health())
        elif path == "/products":
            self._guarded(lambda: self._products(use_cache=True))
        elif path == "/products/db":
            self._guarded(lambda: self._products(use_cache=False))
        elif path == "/orders/count":
            self._guarded(lambda: (200, self.shop.order_count()))
        else:
            self._send(404, {"error": f"no route GET {path}"})

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path not in ("/orders", "/orders/pay"):
            self._read_body()
            self._send(404, {"error": f"no route POST {path}"})
            return
        raw = self._read_body()
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self._send(400, {"error": "body is not valid JSON"})
            return
        action = self.shop.pay_order if path == "/orders/pay" else self.shop.place_order
        self._guarded(lambda: action(body))

    def _products(self, *, use_cache: bool) -> tuple[int, list, dict]:
        products, cache_status = self.shop.products(use_cache=use_cache)
        return 200, products, {"X-Cache": cache_status}

    def _guarded(self, respond) -> None:
        try:
            status, body, *extra = respond()
        except (DatabaseUnavailable, psycopg.OperationalError) as error:
            self._send(503, {"error": f"database unavailable: {_first_line(error)}"})
        except psycopg.Error as error:
            log.warning("database error on %s %s: %s", self.command, self.path, _first_line(error))
            self._send(500, {"error": "database error"})
        except Exception:
            log.exception("unexpected error on %s %s", self.command, self.path)
            self._send(500, {"error": "internal error"})
        else:
            self._send(status, body, extra[0] if extra else {})

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:
        # One line per request would drown the container log under load; errors are logged.
        pass


class ShopServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def make_server(settings: Settings) -> ShopServer:
    shop = Shop(settings, Database(settings), Cache(settings))
    handler = type("BoundShopHandler", (ShopHandler,), {"shop": shop})
    return ShopServer((settings.host, settings.port), handler)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def configure_logging() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
