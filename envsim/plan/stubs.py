"""Stub services compiled to MockServer expectations, and HTTP faults to their chaos twins.

Pure: a StubSpec (plus, for auth, the secret values) in, frozen Expectations out. Secret values
only ever go into the expectations sent to the stub's own MockServer; nothing here is kept in a
plan, so `envsim plan` still shows `<secret:NAME>`.

Priorities decide which expectation answers; MockServer picks the highest that matches:
  missing credential 401 > expired (rotated-out) credential 401 > wrong credential 403 > deprecated version 410 > unknown version 400
  > HTTP fault twins > routes (first declared first) > OpenAPI operations (0) > 404 catch-all.
So a fault never hides an auth or version error, as with the real vendor's gateway.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from functools import partial

from envsim.config.fault_kinds.http import HttpErrorFault
from envsim.config.profile_model import StubAuth, StubLatency, StubRoute, StubSpec, StubVersioning
from envsim.plan.mockserver_expectations import Chaos, Delay, Expectation, RateLimit, RequestMatcher, Response

# MockServer listens here inside the container; the stub's declared port is Toxiproxy's.
STUB_CONTAINER_PORT = 1080
# By default MockServer forwards an unmatched request whose Host header is not its own to that
# host: behind Toxiproxy (Host: payments:8080) that is a loop back to itself, answered 502.
STUB_SERVER_ENV = {"MOCKSERVER_ATTEMPT_TO_PROXY_IF_NO_MATCHING_EXPECTATION": "false", "MOCKSERVER_LOG_LEVEL": "WARN"}

PRIORITY_AUTH_MISSING = 1000
PRIORITY_AUTH_EXPIRED = 950  # a rotated-out credential: 401 invalid_token
PRIORITY_AUTH_WRONG = 900
PRIORITY_VERSION_GONE = 800
PRIORITY_VERSION_UNKNOWN = 700
PRIORITY_FAULT = 500
PRIORITY_ROUTES = 100  # + (routes after this one), so the first declared route wins
PRIORITY_NOT_FOUND = -1000

_REGEX_SPECIAL = set("\\.^$|?*+()[]{}")


def regex_literal(text: str) -> str:
    """`text` as a Java regular expression matching exactly it (MockServer values are regexes)."""
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def stub_expectation_id(service: str, part: str) -> str:
    return f"envsim.stub.{service}.{part}"


def fault_twin_id(fault: str, service: str, index: int) -> str:
    return f"envsim.fault.{fault}.{service}.{index}"


# --------------------------------------------------------------------------- routes


def route_expectations(service: str, spec: StubSpec) -> tuple[Expectation, ...]:
    """The expectations that serve the stub's routes (no secrets in them)."""
    quota = (
        RateLimit(limit=spec.rate_limit.requests, window_ms=max(1, round(spec.rate_limit.per * 1000)), name=service)
        if spec.rate_limit
        else None
    )
    delay = latency_delay(spec.latency) if spec.latency else None
    count = len(spec.routes)
    return tuple(
        Expectation(
            _route_matcher(route, spec),
            _route_response(route, delay),
            id=stub_expectation_id(service, f"route.{index}"),
            priority=PRIORITY_ROUTES + count - index,
            rate_limit=quota,
        )
        for index, route in enumerate(spec.routes)
    )


def _route_matcher(route: StubRoute, spec: StubSpec) -> RequestMatcher:
    path = route.path
    if spec.versioning is not None and spec.versioning.prefix:
        path = f"/{spec.versioning.current}{path}"
    return RequestMatcher(
        method=route.method,
        path=path,
        query={name: regex_literal(value) for name, value in route.match_query},
        headers={name: regex_literal(value) for name, value in route.match_headers},
        json=route.match_json,
    )


def _route_response(route: StubRoute, delay: Delay | None) -> Response:
    headers = dict(route.headers)
    if isinstance(route.body, str) or route.body is None:
        return Response(route.status, headers, body=route.body, delay=delay)
    return Response(route.status, headers, json=route.body, delay=delay)


def latency_delay(latency: StubLatency) -> Delay:
    ms = _milliseconds
    if latency.kind == "uniform":
        return Delay.uniform(ms(latency.a), ms(latency.b))
    if latency.kind == "log_normal":
        return Delay.log_normal(ms(latency.a), max(ms(latency.a), ms(latency.b)))
    return Delay(ms(latency.a))


def _milliseconds(seconds: float) -> int:
    return max(0, round(seconds * 1000))


# --------------------------------------------------------------------------- gatekeeping


def auth_expectations(
    service: str,
    spec: StubSpec,
    secrets: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
    expired: Mapping[str, str] | None = None,
) -> tuple[Expectation, ...]:
    """401/403 for a missing/wrong credential. With `previous` (the secrets before a rotation,
    during its overlap) the credential rendered from either is accepted; the one rendered from
    `expired` (rotated out) gets 401 invalid_token, as a provider answers an expired token."""
    auth = spec.auth
    if auth is None:
        return ()
    values = [auth.value.render(secrets)]
    if previous is not None and auth.value.render(previous) != values[0]:
        values.append(auth.value.render(previous))
    stale = auth.value.render(expired) if expired is not None else None
    if stale in values:
        stale = None
    problem = {"error": {"type": "authentication_error"}}
    if auth.kind == "bearer":
        name, scheme = "Authorization", f'Bearer realm="{auth.realm}"'
        accepted = [f"Bearer {value}" for value in values]
    else:
        name, scheme = auth.header or auth.query or "", f'ApiKey realm="{auth.realm}"'
        accepted = values
    where = "query" if auth.kind == "api_key" and auth.query else "headers"
    missing = _matcher_on(where, {f"!{name}": ".*"})
    expected = "|".join(regex_literal(value) for value in accepted)
    wrong = _matcher_on(where, {name: "!" + (expected if len(accepted) == 1 else f"({expected})")})
    gatekeepers = () if stale is None else (_expired_gatekeeper(service, auth, where, name, scheme, stale),)
    return (
        *gatekeepers,
        Expectation(
            missing,
            Response(
                401, {"WWW-Authenticate": scheme}, json={"error": {**problem["error"], "message": f"missing {name}"}}
            ),
            id=stub_expectation_id(service, "auth.missing"),
            priority=PRIORITY_AUTH_MISSING,
        ),
        Expectation(
            wrong,
            Response(403, json={"error": {**problem["error"], "message": f"invalid {name}"}}),
            id=stub_expectation_id(service, "auth.wrong"),
            priority=PRIORITY_AUTH_WRONG,
        ),
    )


def _matcher_on(where: str, values: Mapping[str, str]) -> RequestMatcher:
    """A matcher on the request's query parameters ("query") or on its headers."""
    return RequestMatcher(query=values) if where == "query" else RequestMatcher(headers=values)


def _expired_gatekeeper(service: str, auth: StubAuth, where: str, name: str, scheme: str, stale: str) -> Expectation:
    """401 invalid_token for the credential rotated out, as a provider answers an expired token."""
    problem = {"type": "authentication_error", "code": "expired", "message": f"expired {name}"}
    return Expectation(
        _matcher_on(where, {name: regex_literal(f"Bearer {stale}" if auth.kind == "bearer" else stale)}),
        Response(
            401,
            {"WWW-Authenticate": f'{scheme}, error="invalid_token", error_description="The credential expired"'},
            json={"error": problem},
        ),
        id=stub_expectation_id(service, "auth.expired"),
        priority=PRIORITY_AUTH_EXPIRED,
    )


def _version_gone(versioning: StubVersioning, version: str) -> Response:
    headers = {"Deprecation": "true"}
    if versioning.sunset:
        headers["Sunset"] = versioning.sunset
    body = versioning.gone_body
    if body is None:
        body = {
            "error": {
                "type": "api_version_gone",
                "message": f"API version {version} is no longer served; use {versioning.current}",
            }
        }
    if isinstance(body, str):
        return Response(versioning.gone_status, headers, body=body)
    return Response(versioning.gone_status, headers, json=body)


def _version_unknown(versioning: StubVersioning, where: str) -> Response:
    message = f"unknown API version in the {where}; current is {versioning.current}"
    return Response(400, json={"error": {"type": "invalid_api_version", "message": message}})


def version_expectations(service: str, spec: StubSpec) -> tuple[Expectation, ...]:
    versioning = spec.versioning
    if versioning is None:
        return ()
    found: list[Expectation] = []
    gone = partial(_version_gone, versioning)
    unknown = partial(_version_unknown, versioning)
    for index, version in enumerate(versioning.deprecated):
        if versioning.header:
            found.append(
                Expectation(
                    RequestMatcher(headers={versioning.header: regex_literal(version)}),
                    gone(version),
                    id=stub_expectation_id(service, f"version.gone.{index}"),
                    priority=PRIORITY_VERSION_GONE,
                )
            )
        if versioning.prefix:
            found.append(
                Expectation(
                    RequestMatcher(path=f"/{regex_literal(version)}(/.*)?"),
                    gone(version),
                    id=stub_expectation_id(service, f"version.gone-path.{index}"),
                    priority=PRIORITY_VERSION_GONE,
                )
            )
    if versioning.header:
        # a request without the header is served the current version, as vendors pin a default
        found.append(
            Expectation(
                RequestMatcher(headers={versioning.header: "!" + regex_literal(versioning.current)}),
                unknown(f"{versioning.header} header"),
                id=stub_expectation_id(service, "version.unknown"),
                priority=PRIORITY_VERSION_UNKNOWN,
            )
        )
    if versioning.prefix:
        found.append(
            Expectation(
                RequestMatcher(path=f"/(?!{regex_literal(versioning.current)}(/|$))[^/]+(/.*)?"),
                unknown("path"),
                id=stub_expectation_id(service, "version.unknown-path"),
                priority=PRIORITY_VERSION_UNKNOWN,
            )
        )
    return tuple(found)


def not_found_expectation(service: str) -> Expectation:
    return Expectation(
        RequestMatcher(),
        Response(404, json={"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}),
        id=stub_expectation_id(service, "not-found"),
        priority=PRIORITY_NOT_FOUND,
    )


def compile_stub(service: str, spec: StubSpec, secrets: Mapping[str, str]) -> tuple[Expectation, ...]:
    """Everything the stub's MockServer is loaded with (OpenAPI operations come on top of it)."""
    return (
        *auth_expectations(service, spec, secrets),
        *version_expectations(service, spec),
        *route_expectations(service, spec),
        not_found_expectation(service),
    )


def describe_stub(spec: StubSpec) -> list[str]:
    """What the stub serves, for `envsim plan` (secrets as <secret:NAME>)."""
    lines = [f"{route.method} {route.path} -> {route.status}" for route in spec.routes]
    if spec.openapi is not None:
        lines.append(f"openapi {spec.openapi.name}: each operation's example")
    if spec.auth is not None:
        where = (
            "Authorization: Bearer"
            if spec.auth.kind == "bearer"
            else f"{'header ' + spec.auth.header if spec.auth.header else 'query ' + str(spec.auth.query)}:"
        )
        lines.append(f"auth {where} {spec.auth.value.redacted()} (missing 401, wrong 403)")
    if spec.versioning is not None:
        versioning = spec.versioning
        carried = " and ".join(
            ([f"header {versioning.header}"] if versioning.header else [])
            + (["path prefix"] if versioning.prefix else [])
        )
        gone = (
            f", deprecated {', '.join(versioning.deprecated)} -> {versioning.gone_status}"
            if versioning.deprecated
            else ""
        )
        lines.append(f"version by {carried}: current {versioning.current}{gone}, unknown -> 400")
    if spec.rate_limit is not None:
        lines.append(f"quota {spec.rate_limit.requests} requests per {spec.rate_limit.per:g}s, then 429")
    if spec.latency is not None:
        latency = spec.latency
        lines.append(
            {
                "fixed": f"latency {latency.a * 1000:g}ms",
                "uniform": f"latency {latency.a * 1000:g}..{latency.b * 1000:g}ms",
                "log_normal": f"latency log-normal p50 {latency.a * 1000:g}ms p99 {latency.b * 1000:g}ms",
            }[latency.kind]
        )
    return lines


# --------------------------------------------------------------------------- HTTP faults


def fault_chaos(fault: HttpErrorFault) -> Chaos:
    retry_after = str(max(1, math.ceil(fault.retry_after))) if fault.retry_after else None
    status, probability = fault.rates[0] if fault.rates else (None, None)
    if fault.outage:
        status, probability = 503, None  # every request
    slow = fault.slow_body
    return Chaos(
        error_status=status,
        error_probability=probability,
        retry_after=retry_after if status is not None else None,
        drop_probability=fault.drop,
        slow_chunk_size=slow[0] if slow else None,
        slow_chunk_delay=Delay(max(0, round(slow[1] * 1000))) if slow else None,
    )


def fault_twins(fault_name: str, service: str, spec: StubSpec, fault: HttpErrorFault) -> tuple[Expectation, ...]:
    """The stub's routes again, above them, with the fault's chaos; no time-to-live yet (the
    switch sets it from the fault window). Same quota name: one counter with the routes."""
    chaos = fault_chaos(fault)
    return tuple(
        dataclasses.replace(
            route, id=fault_twin_id(fault_name, service, index), priority=PRIORITY_FAULT + index, chaos=chaos
        )
        for index, route in enumerate(route_expectations(service, spec))
    )
