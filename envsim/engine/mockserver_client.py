"""A small typed client for MockServer 7.6's REST API (port 1080), over http.client.

Every call has a timeout; every answer MockServer does not mean as success raises
MockServerError carrying the HTTP status and the body it sent (it explains itself, e.g. the
schema errors of a malformed expectation). What to send is built in mockserver_expectations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from envsim.engine.admin_api import AdminApiClient, AdminApiError
from envsim.plan.mockserver_expectations import Chaos, Expectation, RequestMatcher
from envsim.plan.stubs import STUB_SERVER_ENV  # noqa: F401 (the environment of a stub's container)

ClearType = Literal["ALL", "LOG", "EXPECTATIONS"]


class MockServerError(AdminApiError):
    server = "mockserver"

    @staticmethod
    def summary(body: str) -> str:
        return " ".join(body.split())[:500]  # schema errors come as long, indented JSON


@dataclass(frozen=True)
class ServerStatus:
    version: str
    ports: tuple[int, ...]


@dataclass(frozen=True)
class RecordedRequest:
    """A request MockServer received, as its journal holds it (header names as sent)."""

    method: str
    path: str
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    query: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    body: str = ""

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        for key, values in self.headers.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedRequest:
        return cls(
            method=data.get("method", ""),
            path=data.get("path", ""),
            headers=_multi(data.get("headers")),
            query=_multi(data.get("queryStringParameters")),
            body=_body_text(data.get("body")),
        )


@dataclass(frozen=True)
class RecordedExchange:
    """A request and the answer MockServer gave it; status None: no answer (dropped)."""

    request: RecordedRequest
    status: int | None
    response_headers: Mapping[str, tuple[str, ...]]
    timestamp: datetime | None  # the server's clock, naive (the container's zone, UTC)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedExchange:
        response = data.get("httpResponse") or {}
        stamp = data.get("timestamp")
        return cls(
            request=RecordedRequest.from_json(data.get("httpRequest") or {}),
            status=response.get("statusCode") if response else None,
            response_headers=_multi(response.get("headers")),
            timestamp=datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f") if stamp else None,
        )


@dataclass(frozen=True)
class ActiveExpectation:
    """An expectation MockServer holds, with what is left of its `times`."""

    id: str
    priority: int
    request: Mapping[str, Any]
    remaining_times: int | None  # None: unlimited
    raw: Mapping[str, Any]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ActiveExpectation:
        times = data.get("times") or {"unlimited": True}
        return cls(
            id=data.get("id", ""),
            priority=int(data.get("priority", 0)),
            request=data.get("httpRequest") or {},
            remaining_times=None if times.get("unlimited") else int(times.get("remainingTimes", 0)),
            raw=data,
        )


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str  # MockServer's explanation when not ok (what it received instead)


class MockServerClient(AdminApiClient):
    """One MockServer, e.g. MockServerClient("http://127.0.0.1:1080")."""

    error = MockServerError
    default_port = 1080

    def __init__(self, url: str = "http://127.0.0.1:1080", timeout: float = 5.0):
        super().__init__(url, timeout)

    # ------------------------------------------------------------------ server

    def status(self) -> ServerStatus:
        answer = self._call("PUT", "/mockserver/status")
        return ServerStatus(str(answer.get("version", "")), tuple(int(p) for p in answer.get("ports") or ()))

    def reset(self) -> None:
        """Remove every expectation, the request journal and all service-scoped chaos."""
        self._call("PUT", "/mockserver/reset")

    def clear(
        self, request: RequestMatcher | None = None, *, expectation_id: str = "", what: ClearType = "ALL"
    ) -> None:
        """Remove expectations and/or journal entries matching a request, or one expectation by id."""
        body: Any = {"id": expectation_id} if expectation_id else (request.to_json() if request else None)
        self._call("PUT", f"/mockserver/clear?{urlencode({'type': what})}", body)

    # ------------------------------------------------------------------ expectations

    def upsert(self, *expectations: Expectation) -> tuple[str, ...]:
        """Create expectations (an existing id is replaced); returns their ids as MockServer set them."""
        answer = self._call("PUT", "/mockserver/expectation", [e.to_json() for e in expectations])
        return tuple(item.get("id", "") for item in answer or ())

    def load_openapi(self, spec_text: str) -> tuple[str, ...]:
        """One expectation per operation of an OpenAPI document (YAML or JSON text), each
        answering with the operation's example; returns their ids."""
        answer = self._call("PUT", "/mockserver/openapi", {"specUrlOrPayload": spec_text})
        return tuple(item.get("id", "") for item in answer or ())

    def active_expectations(self, request: RequestMatcher | None = None) -> tuple[ActiveExpectation, ...]:
        answer = self._retrieve("ACTIVE_EXPECTATIONS", request)
        return tuple(ActiveExpectation.from_json(item) for item in answer)

    # ------------------------------------------------------------------ journal

    def recorded_requests(self, request: RequestMatcher | None = None) -> tuple[RecordedRequest, ...]:
        return tuple(RecordedRequest.from_json(item) for item in self._retrieve("REQUESTS", request))

    def recorded_exchanges(self, request: RequestMatcher | None = None) -> tuple[RecordedExchange, ...]:
        """Requests with the answers given and when (only requests that matched an expectation)."""
        return tuple(RecordedExchange.from_json(item) for item in self._retrieve("REQUEST_RESPONSES", request))

    def verify(
        self, request: RequestMatcher, *, at_least: int | None = None, at_most: int | None = None
    ) -> Verification:
        times: dict[str, int] = {}
        if at_least is not None:
            times["atLeast"] = at_least
        if at_most is not None:
            times["atMost"] = at_most
        try:
            self._call("PUT", "/mockserver/verify", {"httpRequest": request.to_json(), "times": times})
        except MockServerError as error:
            if error.status == 406:  # MockServer's "verification failed", with its reasons
                return Verification(False, error.body)
            raise
        return Verification(True, "")

    # ------------------------------------------------------------------ service-scoped chaos

    def set_service_chaos(self, host: str, chaos: Chaos, ttl_ms: int | None = None) -> None:
        """Chaos on every *forwarded* request whose Host header is `host` (port ignored);
        it removes itself after `ttl_ms`. Mocked responses take chaos per expectation instead."""
        body: dict[str, Any] = {"host": host, "chaos": chaos.to_json()}
        if ttl_ms is not None:
            body["ttlMillis"] = ttl_ms
        self._call("PUT", "/mockserver/serviceChaos", body)

    def clear_service_chaos(self, host: str | None = None) -> None:
        self._call("PUT", "/mockserver/serviceChaos", {"host": host, "remove": True} if host else {"clear": True})

    def service_chaos(self) -> dict[str, Mapping[str, Any]]:
        """Host -> active chaos profile (as MockServer reports it)."""
        return dict((self._call("GET", "/mockserver/serviceChaos") or {}).get("services") or {})

    # ------------------------------------------------------------------ transport

    def _retrieve(self, kind: str, request: RequestMatcher | None) -> list[Any]:
        query = urlencode({"type": kind, "format": "JSON"})
        answer = self._call("PUT", f"/mockserver/retrieve?{query}", request.to_json() if request else None)
        return answer if isinstance(answer, list) else []


def _multi(values: Any) -> dict[str, tuple[str, ...]]:
    """MockServer writes multi-values as {name: [values]}, or [{name, values}] in some answers."""
    if isinstance(values, list):
        return {item.get("name", ""): tuple(item.get("values") or ()) for item in values}
    return {name: tuple(v) if isinstance(v, list) else (str(v),) for name, v in (values or {}).items()}


def _body_text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        for key in ("string", "json", "rawBytes", "xml"):
            if key in body:
                value = body[key]
                return value if isinstance(value, str) else json.dumps(value)
        return json.dumps(body)  # a JSON body recorded as the document itself
    return json.dumps(body)
