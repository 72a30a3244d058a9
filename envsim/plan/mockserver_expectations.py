"""What envsim asks MockServer 7.6 to do, as frozen data rendered to its REST API's JSON.

Pure: no I/O, so stub routes and HTTP faults are compiled and tested without a server.
Field names follow MockServer's schemas (org/mockserver/model/schema/*.json in the 7.6.0 jar);
only the parts envsim uses are modelled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Values = str | tuple[str, ...]
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_PATH_PARAMETER = "[^/]+"  # one path segment


@dataclass(frozen=True)
class Delay:
    """A fixed delay, or one drawn per request from a distribution (all in milliseconds)."""

    milliseconds: int = 0
    distribution: Literal["UNIFORM", "LOG_NORMAL", "GAUSSIAN"] | None = None
    parameters: tuple[tuple[str, int], ...] = ()  # MockServer's names: min/max, median/p99, mean/stdDev

    @classmethod
    def uniform(cls, min_ms: int, max_ms: int) -> Delay:
        return cls(min_ms, "UNIFORM", (("min", min_ms), ("max", max_ms)))

    @classmethod
    def log_normal(cls, median_ms: int, p99_ms: int) -> Delay:
        return cls(median_ms, "LOG_NORMAL", (("median", median_ms), ("p99", p99_ms)))

    @classmethod
    def gaussian(cls, mean_ms: int, std_dev_ms: int) -> Delay:
        return cls(mean_ms, "GAUSSIAN", (("mean", mean_ms), ("stdDev", std_dev_ms)))

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"timeUnit": "MILLISECONDS", "value": self.milliseconds}
        if self.distribution:
            body["distribution"] = {"type": self.distribution, **dict(self.parameters)}
        return body


@dataclass(frozen=True)
class RequestMatcher:
    """Which requests an expectation answers. `path` may hold `{name}` placeholders.

    Header and query values are regular expressions (MockServer's matching); a header name
    starting with "!" matches requests *without* that header. `json` matches when the body
    contains at least these fields (ONLY_MATCHING_FIELDS).
    """

    method: str | None = None
    path: str | None = None
    path_parameters: Mapping[str, str] = field(default_factory=dict)  # name -> regex
    query: Mapping[str, Values] = field(default_factory=dict)
    headers: Mapping[str, Values] = field(default_factory=dict)
    json: Any = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.method:
            body["method"] = self.method.upper()
        if self.path is not None:
            body["path"] = self.path
            parameters = {name: DEFAULT_PATH_PARAMETER for name in path_placeholders(self.path)}
            parameters.update(self.path_parameters)
            if parameters:
                # 7.6.0 matches a `{name}` path only when the parameter is declared (else 404).
                body["pathParameters"] = _multi(parameters)
        if self.query:
            body["queryStringParameters"] = _multi(self.query)
        if self.headers:
            body["headers"] = _multi(self.headers)
        if self.json is not None:
            body["body"] = {"type": "JSON", "json": self.json, "matchType": "ONLY_MATCHING_FIELDS"}
        return body


@dataclass(frozen=True)
class Response:
    status: int = 200
    headers: Mapping[str, Values] = field(default_factory=dict)
    body: str | None = None  # sent as is
    json: Any = None  # sent as JSON with Content-Type application/json
    delay: Delay | None = None
    close_socket: bool = False  # close the connection after answering
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"statusCode": self.status}
        if self.reason:
            result["reasonPhrase"] = self.reason
        if self.headers:
            result["headers"] = _multi(self.headers)
        if self.json is not None:
            result["body"] = {"type": "JSON", "json": self.json, "contentType": "application/json"}
        elif self.body is not None:
            result["body"] = self.body
        if self.delay is not None:
            result["delay"] = self.delay.to_json()
        if self.close_socket:
            result["connectionOptions"] = {"closeSocket": True}
        return result


@dataclass(frozen=True)
class Forward:
    """Pass matching requests on to a real service (MockServer as a chaos proxy)."""

    host: str
    port: int
    scheme: Literal["HTTP", "HTTPS"] = "HTTP"

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "scheme": self.scheme}


@dataclass(frozen=True)
class Chaos:
    """MockServer's per-expectation chaos profile (httpChaosProfile.json); unset fields are left out.

    Probabilities are 0..1. MockServer's `seed` is not offered: in 7.6.0 it seeds a fresh
    java.util.Random per request, so every request takes the same decision (all or none fail).
    """

    error_status: int | None = None
    error_probability: float | None = None  # None with error_status: every request fails
    retry_after: str | None = None  # Retry-After header on injected errors
    drop_probability: float | None = None  # connection closed without an answer
    latency: Delay | None = None
    slow_chunk_size: int | None = None  # the body dribbled in chunks of this many bytes...
    slow_chunk_delay: Delay | None = None  # ...this far apart
    truncate_at_fraction: float | None = None
    malformed_body: bool | None = None
    outage_after_ms: int | None = None  # from the expectation's first match
    outage_duration_ms: int | None = None
    succeed_first: int | None = None
    fail_request_count: int | None = None

    _NAMES = (
        ("error_status", "errorStatus"),
        ("error_probability", "errorProbability"),
        ("retry_after", "retryAfter"),
        ("drop_probability", "dropConnectionProbability"),
        ("slow_chunk_size", "slowResponseChunkSize"),
        ("truncate_at_fraction", "truncateBodyAtFraction"),
        ("malformed_body", "malformedBody"),
        ("outage_after_ms", "outageAfterMillis"),
        ("outage_duration_ms", "outageDurationMillis"),
        ("succeed_first", "succeedFirst"),
        ("fail_request_count", "failRequestCount"),
    )

    def __post_init__(self) -> None:
        for name in ("error_probability", "drop_probability", "truncate_at_fraction"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"chaos {name} must be within 0..1, not {value}")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            wire: getattr(self, name) for name, wire in self._NAMES if getattr(self, name) is not None
        }
        if self.latency is not None:
            body["latency"] = self.latency.to_json()
        if self.slow_chunk_delay is not None:
            body["slowResponseChunkDelay"] = self.slow_chunk_delay.to_json()
        return body


@dataclass(frozen=True)
class RateLimit:
    """A fixed-window quota: over `limit` requests per window get `error_status` with
    Retry-After (computed from the window unless given) and X-RateLimit-* headers."""

    limit: int
    window_ms: int
    name: str = ""  # expectations sharing a name share one counter
    error_status: int = 429
    retry_after: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "algorithm": "fixed_window",
            "limit": self.limit,
            "windowMillis": self.window_ms,
            "errorStatus": self.error_status,
        }
        if self.name:
            body["name"] = self.name
        if self.retry_after is not None:
            body["retryAfter"] = self.retry_after
        return body


@dataclass(frozen=True)
class Expectation:
    """A request matcher and what to do with matches: a response, a forward, or drop the connection.

    Higher `priority` wins among matching expectations. `times` (None: unlimited) counts
    matches; `ttl_ms` (None: forever) removes the expectation after that long.
    """

    request: RequestMatcher
    response: Response | None = None
    drop_connection: bool = False  # close without answering (instead of `response`)
    forward: Forward | None = None  # pass on to a real service (instead of `response`)
    id: str = ""  # PUT with a known id replaces that expectation
    priority: int = 0
    times: int | None = None
    ttl_ms: int | None = None
    chaos: Chaos | None = None
    rate_limit: RateLimit | None = None

    def __post_init__(self) -> None:
        if [self.response is not None, self.drop_connection, self.forward is not None].count(True) != 1:
            raise ValueError("an expectation needs exactly one of a response, a forward or drop_connection")
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be at least 1, not {self.times}")
        if self.ttl_ms is not None and self.ttl_ms < 1:
            raise ValueError(f"ttl_ms must be at least 1, not {self.ttl_ms}")

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"priority": self.priority, "httpRequest": self.request.to_json()}
        if self.id:
            body["id"] = self.id
        if self.response is not None:
            body["httpResponse"] = self.response.to_json()
        elif self.forward is not None:
            body["httpForward"] = self.forward.to_json()
        else:
            body["httpError"] = {"dropConnection": True}
        body["times"] = (
            {"unlimited": True} if self.times is None else {"remainingTimes": self.times, "unlimited": False}
        )
        body["timeToLive"] = (
            {"unlimited": True}
            if self.ttl_ms is None
            else {"timeUnit": "MILLISECONDS", "timeToLive": self.ttl_ms, "unlimited": False}
        )
        if self.chaos is not None:
            body["chaos"] = self.chaos.to_json()
        if self.rate_limit is not None:
            body["rateLimit"] = self.rate_limit.to_json()
        return body


def path_placeholders(path: str) -> list[str]:
    """`/v1/charges/{id}/refunds/{refund}` -> ["id", "refund"]."""
    return _PLACEHOLDER.findall(path)


def _multi(values: Mapping[str, Values]) -> dict[str, list[str]]:
    return {name: [value] if isinstance(value, str) else list(value) for name, value in values.items()}
