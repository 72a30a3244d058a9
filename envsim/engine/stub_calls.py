"""What the app sent its stubs, read from each stub's MockServer request journal after the load.

Pure measurements over recorded exchanges (tested with plain data) plus the reads. Like SQL
probes, they only measure: the verdict compares, from what the journal keeps, so a saved run
is judged again without the stub. Header values are never recorded (they may be credentials).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from envsim.config.check_kinds import StubInvariant
from envsim.config.profile_model import StubSpec
from envsim.engine.mockserver_client import MockServerClient, MockServerError, RecordedExchange

CLOCK_SLACK = 0.02  # seconds: MockServer's timestamps are milliseconds, taken on receipt
OTHER_ROUTE = "other"


def route_pattern(path: str) -> re.Pattern[str]:
    """`/v1/charges/{id}` as a regex matching one segment per placeholder."""
    parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "/?")


def _version_free(path: str, spec: StubSpec | None) -> str:
    versioning = spec.versioning if spec is not None else None
    if versioning is not None and versioning.prefix:
        head, _, rest = path.lstrip("/").partition("/")
        if head and rest and (head == versioning.current or head in versioning.deprecated):
            return "/" + rest
    return path


def route_of(exchange: RecordedExchange, spec: StubSpec | None) -> str:
    """The declared route a call was for ("POST /v1/charges/{id}"), else OTHER_ROUTE."""
    method = exchange.request.method.upper()
    path = _version_free(exchange.request.path, spec)
    for route in spec.routes if spec is not None else ():
        if route.method.upper() == method and route_pattern(route.path).fullmatch(path):
            return f"{route.method.upper()} {route.path}"
    return OTHER_ROUTE


def selected(
    exchanges: Iterable[RecordedExchange], check: StubInvariant, spec: StubSpec | None
) -> list[RecordedExchange]:
    chosen = []
    pattern = route_pattern(check.path) if check.path else None
    for exchange in exchanges:
        if check.method and exchange.request.method.upper() != check.method.upper():
            continue
        if pattern is not None and not pattern.fullmatch(_version_free(exchange.request.path, spec)):
            continue
        if check.statuses and exchange.status not in check.statuses:
            continue
        chosen.append(exchange)
    return chosen


def _retry_after(exchange: RecordedExchange) -> float | None:
    for name, values in exchange.response_headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return float(values[0])
            except ValueError:
                return None  # an HTTP date: not used by envsim's stubs
    return None


def _key(exchange: RecordedExchange, key: str) -> str | None:
    if key.startswith("header."):
        return exchange.request.header(key[len("header.") :])
    return f"{exchange.request.method} {exchange.request.path} {exchange.request.body}"


def backoff_violations(
    exchanges: Sequence[RecordedExchange], after: Sequence[int], at_least: float, key: str
) -> tuple[int, int, list[str]]:
    """(retries checked, retries too soon, a few examples). A retry is the next call with the
    same key after an answer with one of `after`; it must wait max(Retry-After, at_least)."""
    by_key: dict[str, list[RecordedExchange]] = {}
    for exchange in exchanges:
        k = _key(exchange, key)
        if k is not None and exchange.timestamp is not None:
            by_key.setdefault(k, []).append(exchange)
    checked = too_soon = 0
    examples: list[str] = []
    for calls in by_key.values():
        calls.sort(key=lambda e: e.timestamp or datetime.min)
        for answered, retry in zip(calls, calls[1:]):
            if answered.status not in after:
                continue
            checked += 1
            assert answered.timestamp is not None and retry.timestamp is not None
            waited = (retry.timestamp - answered.timestamp).total_seconds()
            told = _retry_after(answered)
            needed = max(at_least, told or 0.0)
            if waited + CLOCK_SLACK < needed:
                too_soon += 1
                if len(examples) < 3:
                    examples.append(
                        f"retried {waited:.3f}s after {answered.status}"
                        + (f" (Retry-After {told:g})" if told is not None else "")
                    )
    return checked, too_soon, examples


def measure(
    check: StubInvariant, exchanges: Sequence[RecordedExchange], spec: StubSpec | None
) -> tuple[float, str, tuple[tuple[str, object], ...]]:
    """(value, detail, values) for a stub check: the count of calls; the calls without the
    header; the retries that came too soon."""
    calls = selected(exchanges, check, spec)
    if check.kind == "header":
        missing = sum(1 for e in calls if not e.request.header(check.header or ""))
        return float(missing), f"{missing} of {len(calls)} calls without {check.header}", (("calls", len(calls)),)
    if check.kind == "backoff":
        checked, too_soon, examples = backoff_violations(
            calls, check.backoff_after, check.backoff_at_least, check.backoff_key
        )
        detail = f"{too_soon} of {checked} retries too soon" + (f": {'; '.join(examples)}" if examples else "")
        return float(too_soon), detail, (("calls", len(calls)), ("retries", checked))
    statuses = Counter(e.status for e in calls)
    shown = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items(), key=lambda x: (x[0] is None, x[0] or 0)))
    return float(len(calls)), f"{len(calls)} calls ({shown or 'none'})", ()


@dataclass(frozen=True)
class CallWindow:
    """A fault's window on a stub in the stub's own clock (naive UTC, as MockServer stamps calls)."""

    fault: str
    start: datetime
    end: datetime | None  # None: still applied when the load ended


def window_of(exchange: RecordedExchange, windows: Sequence[CallWindow]) -> str | None:
    """The fault whose window the call came in, else None."""
    if exchange.timestamp is None:
        return None
    for window in windows:
        if window.start <= exchange.timestamp and (window.end is None or exchange.timestamp < window.end):
            return window.fault
    return None


def traffic(
    exchanges: Iterable[RecordedExchange], spec: StubSpec | None, windows: Sequence[CallWindow] = ()
) -> list[tuple[str, int | None, str | None, int]]:
    """Calls by (route, status, fault window or None), for reports: counted per window, so a
    fault's effect (10% 503 during `payments-flaky`) reads apart from the calls around it."""
    counts = Counter((route_of(e, spec), e.status, window_of(e, windows)) for e in exchanges)
    return sorted(
        ((route, status, during, n) for (route, status, during), n in counts.items()),
        key=lambda x: (x[0], x[2] or "", x[1] if x[1] is not None else 0),
    )


def read_exchanges(url: str) -> tuple[RecordedExchange, ...]:
    """Every call the stub answered, as its journal holds them; MockServerError when it is not answering."""
    return MockServerClient(url, timeout=30.0).recorded_exchanges()


def clear_journals(urls: Iterable[str]) -> None:
    """Forget the calls stubs received before a run, so its checks count the run's own."""
    for url in urls:
        try:
            MockServerClient(url, timeout=10.0).clear(what="LOG")
        except MockServerError:
            pass  # a stub that does not answer shows as such in its checks


__all__ = [
    "CallWindow",
    "MockServerError",
    "clear_journals",
    "backoff_violations",
    "measure",
    "read_exchanges",
    "route_of",
    "traffic",
    "window_of",
]
