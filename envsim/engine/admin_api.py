"""JSON over HTTP to a server's admin API (Toxiproxy, MockServer): one transport for both.

Every call has a timeout; every non-2xx answer raises the client's AdminApiError subclass
carrying the HTTP status and the body the server sent (both servers explain themselves).
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit


class AdminApiError(Exception):
    server = "admin api"  # how messages name the server

    def __init__(self, method: str, path: str, status: int | None, body: str, reason: str = ""):
        self.method = method
        self.path = path
        self.status = status  # None: no HTTP answer at all (refused, timed out)
        self.body = body
        detail = f"HTTP {status}" if status is not None else reason
        summary = self.summary(body)
        super().__init__(f"{self.server} {method} {path}: {detail}{': ' + summary if summary else ''}")

    @staticmethod
    def summary(body: str) -> str:
        return body.strip()


class AdminApiClient:
    """One server's admin API at http://HOST:PORT; subclasses name their error and default port."""

    error: type[AdminApiError] = AdminApiError
    default_port = 80

    def __init__(self, url: str, timeout: float = 5.0):
        parts = urlsplit(url if "//" in url else f"http://{url}")
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"{self.error.server} url must be http://HOST:PORT, not {url!r}")
        self.host = parts.hostname
        self.port = parts.port or self.default_port
        self.timeout = timeout

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        """The decoded JSON answer (text when it is not JSON, None when empty)."""
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", "User-Agent": "envsim"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException) as error:
            raise self.error(method, path, None, "", f"no answer from {self.url}: {error}") from error
        finally:
            connection.close()
        if not 200 <= response.status < 300:
            raise self.error(method, path, response.status, text)
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text
