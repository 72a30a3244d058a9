"""What the endpoints do, apart from HTTP. One deliberate bug per failure class, each with
its fix behind the same switch (Settings.fixed, GATE_FIXED=1):

1 index    GET /customers?email=   lower(email) = lower(%s) defeats the email index: a
                                   sequential scan, fine on 100 rows, slow on 500,000.
                                   Fixed: emails are stored lower-cased; email = lower(%s).
2 timeout  GET /products/{sku}     reads "also bought" from Redis with no socket timeout: a
                                   hanging Redis holds every worker thread, and then even
                                   GET /catalog (no Redis at all) waits. Fixed: 300ms
                                   timeout, no retries, and the page without recommendations.
3 retry    GET /quote?sku=         one call to the carrier; a 503 is the shopper's 502.
                                   Fixed: 4 attempts, backoff, honouring Retry-After.
4 token    POST /pay               the payments token file is read once at start-up.
                                   Fixed: read on every call (rotation is picked up).
5 version  POST /ship              the label call pins Carrier-Version 2023-01 (deprecated:
                                   410 Gone). Fixed: the current 2024-06.
6 session  POST /login, GET /cart  sessions in a dict in the process. Fixed: in Redis.
7 race     POST /buy               read stock, check, write stock - 1: concurrent buyers
                                   oversell. Fixed: one conditional UPDATE ... RETURNING.
"""

from __future__ import annotations

import logging

import redis

from .db import Database
from .sessions import MemorySessions, RedisSessions
from .settings import Settings
from .thirdparty import CARRIER_VERSION, CARRIER_VERSION_LEGACY, CarrierClient, PaymentsClient, UpstreamError

log = logging.getLogger("gate")

CUSTOMER_SQL_BUGGY = "SELECT id, email, name FROM customers WHERE lower(email) = lower(%s)"
CUSTOMER_SQL_FIXED = "SELECT id, email, name FROM customers WHERE email = lower(%s)"


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def redis_client(url: str, fixed: bool):
    if not fixed:
        return redis.Redis.from_url(url)  # the bug: no socket timeout - a hanging Redis hangs us
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url, socket_timeout=0.3, socket_connect_timeout=0.3, retry=Retry(NoBackoff(), 0), retry_on_timeout=False
    )


class Gate:
    def __init__(self, settings: Settings, database, cache, carrier, payments, sessions):
        self.settings = settings
        self.fixed = settings.fixed
        self.db = database
        self.cache = cache
        self.carrier = carrier
        self.payments = payments
        self.sessions = sessions

    @classmethod
    def from_settings(cls, settings: Settings) -> Gate:
        fixed = settings.fixed
        cache = redis_client(settings.redis_url, fixed) if settings.redis_url else None
        return cls(
            settings,
            Database(settings.database_url),
            cache,
            CarrierClient(
                settings.carrier_url,
                settings.carrier_key,
                attempts=4 if fixed else 1,
                label_version=CARRIER_VERSION if fixed else CARRIER_VERSION_LEGACY,
            ),
            PaymentsClient(settings.payments_url, settings.payments_token_file, reread_token=fixed),
            RedisSessions(cache) if fixed and cache is not None else MemorySessions(),
        )

    # -- plain reads ---------------------------------------------------------------------------
    def health(self) -> dict:
        self.db.fetch("SELECT 1")
        return {"status": "ok", "variant": "fixed" if self.fixed else "buggy"}

    def catalog(self) -> list[dict]:
        rows = self.db.fetch("SELECT sku, name, price::float8 FROM products ORDER BY sku")
        return [{"sku": s, "name": n, "price": p} for s, n, p in rows]

    # -- 1 index -------------------------------------------------------------------------------
    def customer(self, email: str) -> dict:
        if not email:
            raise HttpError(400, "email is required")
        rows = self.db.fetch(CUSTOMER_SQL_FIXED if self.fixed else CUSTOMER_SQL_BUGGY, (email,))
        if not rows:
            raise HttpError(404, "no such customer")
        cid, mail, name = rows[0]
        return {"id": cid, "email": mail, "name": name}

    # -- 2 timeout -----------------------------------------------------------------------------
    def product(self, sku: str) -> dict:
        rows = self.db.fetch("SELECT sku, name, price::float8 FROM products WHERE sku = %s", (sku,))
        if not rows:
            raise HttpError(404, "no such product")
        s, n, p = rows[0]
        page = {"sku": s, "name": n, "price": p}
        if self.fixed:
            try:
                page["also_bought"] = _strings(self.cache.lrange(f"also:{sku}", 0, 4))
            except redis.RedisError as error:
                log.warning("recommendations unavailable: %s", error)
                page["also_bought"], page["degraded"] = [], True
        else:
            page["also_bought"] = _strings(self.cache.lrange(f"also:{sku}", 0, 4))
        return page

    # -- 3 retry / 5 version -------------------------------------------------------------------
    def quote(self, sku: str) -> dict:
        try:
            return {"sku": sku, "rates": self.carrier.rates(sku)}
        except UpstreamError as error:
            raise HttpError(502, str(error)) from error

    def ship(self, sku: str) -> dict:
        try:
            return {"sku": sku, "label": self.carrier.label(sku)}
        except UpstreamError as error:
            raise HttpError(502, str(error)) from error

    # -- 4 token -------------------------------------------------------------------------------
    def pay(self, amount_cents: int) -> dict:
        try:
            return {"charge": self.payments.charge(amount_cents)}
        except UpstreamError as error:
            raise HttpError(502, str(error)) from error

    # -- 6 session -----------------------------------------------------------------------------
    def login(self, user: str) -> str:
        if not user:
            raise HttpError(400, "user is required")
        return self.sessions.create(user)

    def cart(self, sid: str | None) -> dict:
        user = self.sessions.user(sid) if sid else None
        if user is None:
            raise HttpError(401, "not logged in (unknown session)")
        return {"user": user, "items": []}

    # -- 7 race --------------------------------------------------------------------------------
    def buy(self, sku: str) -> dict:
        if self.fixed:
            with self.db.transaction() as cur:
                cur.execute("UPDATE stock SET qty = qty - 1 WHERE sku = %s AND qty > 0 RETURNING qty", (sku,))
                row = cur.fetchone()
                if row is None:
                    raise HttpError(409, "sold out")
                cur.execute("INSERT INTO sales (sku) VALUES (%s)", (sku,))
                return {"sku": sku, "left": row[0]}
        # the bug: read, decide, write what was read minus one - two buyers read the same qty
        rows = self.db.fetch("SELECT qty FROM stock WHERE sku = %s", (sku,))
        if not rows:
            raise HttpError(404, "no such product")
        left = rows[0][0]
        if left < 1:
            raise HttpError(409, "sold out")
        self.db.fetch("SELECT price FROM products WHERE sku = %s", (sku,))  # price the sale
        self.db.execute("UPDATE stock SET qty = %s WHERE sku = %s", (left - 1, sku))
        self.db.execute("INSERT INTO sales (sku) VALUES (%s)", (sku,))
        return {"sku": sku, "left": left - 1}

    def inventory(self, sku: str) -> dict:
        rows = self.db.fetch(
            "SELECT initial, qty, (SELECT count(*) FROM sales WHERE sales.sku = stock.sku) FROM stock WHERE sku = %s",
            (sku,),
        )
        if not rows:
            raise HttpError(404, "no such product")
        initial, qty, sold = rows[0]
        return {"sku": sku, "initial": initial, "stock": qty, "sold": sold}


def _strings(values) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values or []]
