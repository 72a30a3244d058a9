"""PostgreSQL access: a small bounded pool whose every wait has a limit.

Why not retry until it works: the point of this service is to show what a fault does, so a
failing database must surface as a failed request. What the pool does do is survive a
database restart: a connection that failed is thrown away and the next request connects
afresh, and a read that hit a stale pooled connection is tried once more on a new one.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg

from .config import Settings


class DatabaseUnavailable(Exception):
    """The database could not answer in time (pool exhausted, connect failed, deadline)."""


class Database:
    def __init__(self, settings: Settings):
        self._settings = settings
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.db_pool_size)

    def fetch(self, sql: str, params: Sequence[object] = (), *, idempotent: bool = True) -> list[tuple]:
        """Run one statement (autocommit) and return its rows (empty for no result set).

        Only idempotent statements are retried, once, and only when a connection taken
        from the pool turned out to be dead: a write is never sent twice.
        """
        with self._slot():
            connection, reused = self._take()
            try:
                return self._run(connection, sql, params)
            except psycopg.OperationalError as error:
                if not (reused and idempotent and _connection_lost(error)):
                    raise
            connection = self._connect()
            return self._run(connection, sql, params)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self._settings.db_query_deadline):
            raise DatabaseUnavailable("all database connections are busy")
        try:
            yield
        finally:
            self._slots.release()

    def _take(self) -> tuple[psycopg.Connection, bool]:
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed:
                    return connection, True
        return self._connect(), False

    def _connect(self) -> psycopg.Connection:
        settings = self._settings
        return psycopg.connect(
            settings.database_url,
            autocommit=True,
            connect_timeout=settings.db_connect_timeout,
            options=f"-c statement_timeout={settings.db_statement_timeout_ms}",
            application_name="shop",
        )

    def _run(self, connection: psycopg.Connection, sql: str, params: Sequence[object]) -> list[tuple]:
        watchdog = _Watchdog(connection, self._settings.db_query_deadline)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall() if cursor.description else []
        except BaseException as error:
            watchdog.finish()
            connection.close()
            if watchdog.fired:
                raise DatabaseUnavailable(
                    f"no answer from the database within {self._settings.db_query_deadline:g}s"
                ) from error
            raise
        watchdog.finish()
        if watchdog.fired:  # fired just as the answer arrived: the socket is gone anyway
            connection.close()
            return rows
        with self._lock:
            self._idle.append(connection)
        return rows


def _connection_lost(error: psycopg.OperationalError) -> bool:
    # No SQLSTATE: the socket died; class 08: connection exception; 57P01-03: the server
    # shut down or is starting. A statement timeout (57014) is a real answer, not retried.
    state = error.sqlstate
    return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")


class _Watchdog:
    """Shuts a connection's socket down if a query overruns its deadline.

    The server-side statement timeout cannot help when the network itself stops delivering
    (its error would not arrive either); shutting the socket wakes the waiting client.
    """

    def __init__(self, connection: psycopg.Connection, deadline: float):
        self._connection = connection
        self._lock = threading.Lock()
        self._finished = False
        self.fired = False
        self._timer = threading.Timer(deadline, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def finish(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._finished = True

    def _fire(self) -> None:
        # Under the lock so the connection cannot have gone back to the pool meanwhile.
        with self._lock:
            if self._finished:
                return
            self.fired = True
            try:
                duplicate = socket.socket(fileno=os.dup(self._connection.pgconn.socket))
            except (OSError, psycopg.Error):
                return
            try:
                duplicate.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            finally:
                duplicate.close()
