"""PostgreSQL access: one autocommit connection per worker thread, reconnecting when lost."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import psycopg


class Database:
    def __init__(self, url: str, connect=psycopg.connect):
        self._url = url
        self._connect = connect
        self._local = threading.local()

    def _connection(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._connect(self._url, autocommit=True, connect_timeout=5)
            self._local.conn = conn
        return conn

    def fetch(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            with self._connection().cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        except psycopg.OperationalError:
            self._drop()
            raise

    def execute(self, sql: str, params: tuple = ()) -> None:
        self.fetch(sql, params)

    @contextmanager
    def transaction(self):
        """A transaction on this thread's connection; yields a cursor."""
        conn = self._connection()
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield cur
        except psycopg.OperationalError:
            self._drop()
            raise

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
