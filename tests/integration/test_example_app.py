"""The example shop, run as a process on the host against real PostgreSQL and Redis on 127.0.0.1.

The servers are started here from the machine's installed binaries (Debian's postgresql and
redis-server packages); the module is skipped, saying what is missing, when they are not.
Faults are real too: the servers are stopped and restarted, a table is locked.
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from envsim.engine.health import HttpReady, TcpReady, WaitPolicy, wait_until

# one worker: the module starts its PostgreSQL, Redis and shop once
pytestmark = [pytest.mark.timeout(180), pytest.mark.docker_free, pytest.mark.xdist_group("example-app")]

SHOP_DIR = Path(__file__).resolve().parents[2] / "examples" / "shop"
PG_PASSWORD = "shop-test-password"
READY = WaitPolicy(deadline=30, interval=0.1, attempt_timeout=2)


def find_pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for version_dir in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        candidate = version_dir / "bin" / name
        if candidate.exists():
            return str(candidate)
    return None


def missing_requirements() -> list[str]:
    missing = [name for name in ("initdb", "postgres", "psql") if not find_pg_bin(name)]
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    for module in ("psycopg", "redis"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"python module {module}")
    return missing


_missing = missing_requirements()
if _missing:
    pytest.skip(
        f"needs {', '.join(_missing)} (apt-get install postgresql redis-server; pip install -r examples/shop/requirements.txt)",
        allow_module_level=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A throwaway cluster on 127.0.0.1 (TCP only), run as the `postgres` user when we are root."""

    def __init__(self) -> None:
        self.port = free_port()
        self.datadir = Path(tempfile.mkdtemp(prefix="shop-pg-"))
        self.user = None
        if os.geteuid() == 0:  # postgres refuses to run as root
            self.user = "postgres"
            account = pwd.getpwnam("postgres")
            os.chown(self.datadir, account.pw_uid, account.pw_gid)
        self.process: subprocess.Popen | None = None
        subprocess.run(
            [find_pg_bin("initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            user=self.user,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                find_pg_bin("postgres"),
                "-D",
                str(self.datadir),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
                "-c",
                "fsync=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=self.user,
        )
        result = wait_until(TcpReady("127.0.0.1", self.port), READY)
        assert result.ok, f"postgres did not listen: {result.last_detail}"
        for _ in range(50):  # accepting TCP is not yet accepting queries
            if self.psql("postgres", "SELECT 1", check=False).returncode == 0:
                return
            threading.Event().wait(0.1)
        raise AssertionError("postgres did not accept queries")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown: clients are disconnected
            self.process.wait(timeout=30)
        self.process = None

    def psql(self, database: str, sql: str, *, check: bool = True, user: str = "postgres"):
        return subprocess.run(
            [
                find_pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-tA",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=check,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.datadir, ignore_errors=True)


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result = wait_until(TcpReady("127.0.0.1", self.port, settle=0.1), READY)
        assert result.ok, f"redis did not listen: {result.last_detail}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


class ShopProcess:
    def __init__(self, pg: PostgresServer, cache: RedisServer, **extra_env: str):
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"postgresql://app:{PG_PASSWORD}@127.0.0.1:{pg.port}/shop",
            REDIS_URL=f"redis://127.0.0.1:{cache.port}/0",
            PORT=str(self.port),
            HOST="127.0.0.1",
            PYTHONPATH=str(SHOP_DIR),
            **extra_env,
        )
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shop"], cwd=SHOP_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        result = wait_until(HttpReady(f"http://127.0.0.1:{self.port}/healthz"), READY)
        assert result.ok, f"shop did not become healthy: {result.last_detail}\n{self.output()}"

    def request(self, method: str, path: str, body: object = None, raw: bytes | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null"), dict(response.getheaders())
        finally:
            connection.close()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=15)
        self.log.close()
        return code


@pytest.fixture(scope="module")
def pg():
    server = PostgresServer()
    server.start()
    server.psql("postgres", f"CREATE ROLE app LOGIN PASSWORD '{PG_PASSWORD}'")
    server.psql("postgres", "CREATE DATABASE shop OWNER app")
    server.psql("shop", (SHOP_DIR / "seeds" / "schema.sql").read_text(), user="app")
    yield server
    server.remove()


@pytest.fixture(scope="module")
def cache():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shop(pg, cache):
    process = ShopProcess(pg, cache)
    yield process
    process.stop()


def db_order_count(pg: PostgresServer) -> int:
    return int(pg.psql("shop", "SELECT count(*) FROM orders").stdout.strip())


# --------------------------------------------------------------------------- endpoints


def test_healthz_reports_db_and_cache(shop):
    status, body, _ = shop.request("GET", "/healthz")
    assert status == 200
    assert body == {"db": "ok", "cache": "ok"}


def test_products_are_cached_in_redis(shop, cache):
    subprocess.run(["redis-cli", "-p", str(cache.port), "FLUSHALL"], capture_output=True)
    first = shop.request("GET", "/products")
    second = shop.request("GET", "/products")
    assert first[0] == second[0] == 200
    assert first[2]["X-Cache"] in ("miss", "hit") and second[2]["X-Cache"] == "hit"
    assert first[1] == second[1]
    assert {"sku": "A1", "name": "Espresso beans 1kg", "price": 24.9} in second[1]


def test_products_db_bypasses_the_cache(shop):
    status, body, headers = shop.request("GET", "/products/db")
    assert status == 200 and headers["X-Cache"] == "bypass"
    assert [p["sku"] for p in body] == ["A1", "B2", "C3", "D4", "E5"]


def test_order_is_stored_and_counted(shop, pg):
    before = shop.request("GET", "/orders/count")[1]["count"]
    status, body, _ = shop.request("POST", "/orders", {"sku": "C3", "qty": 2})
    assert status == 201
    assert body["sku"] == "C3" and body["qty"] == 2 and isinstance(body["id"], int)
    assert shop.request("GET", "/orders/count")[1]["count"] == before + 1
    row = pg.psql(
        "shop", f"SELECT sku, qty, price, created_at > now() - interval '1 minute' FROM orders WHERE id = {body['id']}"
    )
    assert row.stdout.strip() == "C3|2|178.00|t"


@pytest.mark.parametrize(
    "raw, status, message",
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"qty": 1}', 400, "sku"),
        (b'{"sku": "A1", "qty": 0}', 400, "qty"),
        (b'{"sku": "A1", "qty": "2"}', 400, "qty"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"sku": "ZZ9", "qty": 1}', 422, "unknown sku"),
    ],
)
def test_bad_orders_are_rejected_and_not_stored(shop, pg, raw, status, message):
    before = db_order_count(pg)
    got_status, body, _ = shop.request("POST", "/orders", raw=raw)
    assert got_status == status and message in body["error"]
    assert db_order_count(pg) == before


def test_unknown_route_is_404(shop):
    assert shop.request("GET", "/nope")[0] == 404
    assert shop.request("POST", "/products", {"x": 1})[0] == 404


def test_concurrent_orders_all_land(shop, pg):
    before = db_order_count(pg)
    statuses: list[int] = []
    lock = threading.Lock()

    def order():
        status = shop.request("POST", "/orders", {"sku": "A1", "qty": 1})[0]
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=order) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 40
    assert db_order_count(pg) == before + 40


# --------------------------------------------------------------------------- faults


def test_a_locked_table_hits_the_statement_timeout(pg, cache):
    import psycopg

    app = ShopProcess(pg, cache, DB_STATEMENT_TIMEOUT_MS="500", DB_QUERY_DEADLINE="30")
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/shop") as locker:
            locker.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
            status, body, _ = app.request("GET", "/products/db")
        assert status == 503
        assert "statement timeout" in body["error"]
        assert app.request("GET", "/products/db")[0] == 200  # the lock is gone: served again
    finally:
        app.stop()


def test_the_query_deadline_ends_a_wait_the_server_would_not_end(pg, cache):
    import psycopg

    app = ShopProcess(pg, cache, DB_STATEMENT_TIMEOUT_MS="0", DB_QUERY_DEADLINE="1")  # 0: no server timeout
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/shop") as locker:
            locker.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
            status, body, _ = app.request("GET", "/products/db")
        assert status == 503
        assert "no answer from the database within 1s" in body["error"]
        assert app.request("GET", "/products/db")[0] == 200
    finally:
        app.stop()


def test_cache_down_degrades_but_serves_then_recovers(shop, cache):
    cache.stop()
    try:
        status, body, _ = shop.request("GET", "/healthz")
        assert status == 503 and body["db"] == "ok" and body["cache"].startswith("error")
        status, products, headers = shop.request("GET", "/products")
        assert status == 200 and headers["X-Cache"] == "unavailable" and len(products) == 5
    finally:
        cache.start()
    result = wait_until(HttpReady(f"http://127.0.0.1:{shop.port}/healthz"), READY)
    assert result.ok, result.last_detail


def test_db_down_fails_fast_then_the_app_reconnects_after_a_restart(shop, pg):
    assert shop.request("GET", "/products/db")[0] == 200  # a pooled connection now exists
    pg.stop()
    try:
        status, body, _ = shop.request("GET", "/products/db")
        assert status == 503 and body["error"].startswith("database unavailable")
        assert shop.request("POST", "/orders", {"sku": "A1", "qty": 1})[0] == 503
        assert shop.request("GET", "/healthz")[0] == 503
    finally:
        pg.start()
    # Pooled connections died with the server; reads get a fresh connection at once.
    assert shop.request("GET", "/products/db")[0] == 200
    assert shop.request("GET", "/orders/count")[0] == 200
    assert shop.request("POST", "/orders", {"sku": "A1", "qty": 1})[0] == 201


def test_sigterm_stops_the_app_cleanly(pg, cache):
    app = ShopProcess(pg, cache)
    assert app.stop() == 0
