"""The items API: a JSON list of items kept in PostgreSQL, and its OpenAPI document."""

import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg

DATABASE_URL = os.environ["DATABASE_URL"]
DOCUMENT = (Path(__file__).parent.parent / "openapi.json").read_bytes()


def prepare_database() -> None:
    """Wait for the database (up to a minute), then create and fill the table once."""
    for _ in range(60):
        try:
            with psycopg.connect(DATABASE_URL, autocommit=True, connect_timeout=3) as conn:
                conn.execute("create table if not exists items (id serial primary key, name text not null)")
                if conn.execute("select count(*) from items").fetchone()[0] == 0:
                    conn.execute("insert into items (name) values ('apple'), ('pear'), ('plum')")
                return
        except psycopg.OperationalError as error:
            print(f"database not ready: {error}", flush=True)
            time.sleep(1)
    raise SystemExit("the database never answered")


def list_items(handler: BaseHTTPRequestHandler) -> None:
    with psycopg.connect(DATABASE_URL) as conn:
        rows = conn.execute("select id, name from items order by id").fetchall()
    handler.reply(200, json.dumps([{"id": i, "name": n} for i, n in rows]).encode())


def openapi_document(handler: BaseHTTPRequestHandler) -> None:
    handler.reply(200, DOCUMENT)


ROUTES = {"/api/items": list_items, "/openapi.json": openapi_document}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        route = ROUTES.get(self.path.split("?", 1)[0])
        if route is None:
            self.reply(404, b'{"detail": "Not Found"}')
            return
        route(self)

    def reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass  # quiet under load


if __name__ == "__main__":
    prepare_database()
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
