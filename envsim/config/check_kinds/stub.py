"""`{stub: {service: payments, request: "POST /v1/charges", status: 429}, at_least: 1}`: what
the app sent a stub, read from the stub's request journal after the load: the number of calls
(to a route, answered with given statuses) compared with a number or a task's count; or a
header on every call; or backoff honoured after 429/5xx answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.build_profile import seconds
from envsim.config.check_kinds import record, result_checks
from envsim.config.check_kinds.kind import (
    CheckKind,
    Comparator,
    Judgement,
    Measurements,
    Probed,
    ProbeError,
    ProbeTools,
    ScenarioContext,
    whole_run,
)
from envsim.config.yamlload import TreePath
from envsim.errors import Problem


@dataclass(frozen=True)
class StubInvariant:
    """What the app sent a stub, read from the stub's request journal after the load: the
    number of calls (to a route, answered with given statuses) compared with a number or a
    task's count; or a header on every call; or backoff honoured after 429/5xx answers."""

    service: str
    method: str | None = None  # with `path`: one route ("POST", "/v1/charges/{id}"); None: every call
    path: str | None = None
    statuses: tuple[int, ...] = ()  # only calls answered with one of these
    comparator: Comparator | None = None  # the count of calls
    expected: float | None = None
    expected_count_of: tuple[str, str] | None = None
    tolerance: float = 0.0
    header: str | None = None  # present on every call
    backoff_after: tuple[int, ...] = ()  # backoff: after these statuses...
    backoff_at_least: float = 0.0  # ...the next call with the same key waits Retry-After, at least this
    backoff_key: str = "body"  # "header.NAME" or "body"
    label: str = ""

    @property
    def kind(self) -> str:
        return "backoff" if self.backoff_after else "header" if self.header else "count"

    @property
    def request(self) -> str:
        return f"{self.method} {self.path}" if self.method and self.path else ""


def _build(written: Mapping[str, Any], context: ScenarioContext) -> StubInvariant:
    spec = written["stub"]
    method = path = None
    if spec.get("request"):
        method, path = spec["request"].split(None, 1)
        method, path = method.upper(), path.strip()
    status = spec.get("status", [])
    comparator = result_checks.written_comparator(written)
    expected, count_of = result_checks.build_expected(written, comparator, context)
    backoff = written.get("backoff") or {}
    return StubInvariant(
        service=spec["service"],
        method=method,
        path=path,
        statuses=tuple(status) if isinstance(status, list) else (status,),
        comparator=comparator,
        expected=expected,
        expected_count_of=count_of,
        tolerance=float(written.get("tolerance", 0)),
        header=written.get("header"),
        backoff_after=tuple(backoff.get("after", ())),
        backoff_at_least=seconds(backoff.get("at_least")) or 0.0,
        backoff_key=backoff.get("key", "body"),
    )


def _not_a_stub(service: Any) -> str | None:
    if service.stub is not None:
        return None
    return (
        f"'{service.name}' is not a stub: stub checks read the request journal "
        "of a service the profile declares with `stub:`"
    )


def _refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    return result_checks.service_refs(written, "stub", here, context, _not_a_stub) + result_checks.counted_refs(
        written, here, context
    )


def _label(check: StubInvariant) -> str:
    calls = f"calls to {check.service}" + (f" {check.request}" if check.request else "")
    if check.statuses:
        calls += f" answered {'/'.join(map(str, check.statuses))}"
    if check.kind == "header":
        return f"{check.header} on every {calls.replace('calls', 'call', 1)}"
    if check.kind == "backoff":
        floor = f", at least {check.backoff_at_least:g}s" if check.backoff_at_least else ""
        return (
            f"{calls}: backoff after {'/'.join(map(str, check.backoff_after))} "
            f"(Retry-After{floor}, same {check.backoff_key})"
        )
    return f"{calls} {result_checks.expected_text(check)}"


def _to_record(check: StubInvariant) -> dict[str, Any]:
    return {
        "service": check.service,
        "method": check.method,
        "path": check.path,
        "statuses": list(check.statuses),
        "comparator": check.comparator,
        **result_checks.expected_record(check),
        "header": check.header,
        "backoff_after": list(check.backoff_after),
        "backoff_at_least": check.backoff_at_least,
        "backoff_key": check.backoff_key,
    }


def _from_record(data: Mapping[str, Any], where: str, label: str) -> StubInvariant:
    comparator = record.optional_comparator(data, where)
    statuses = data.get("statuses") or ()
    after = data.get("backoff_after") or ()
    if not isinstance(statuses, (list, tuple)) or not isinstance(after, (list, tuple)):
        raise ValueError(f"{where}: statuses and backoff_after must be lists of statuses")
    return StubInvariant(
        service=str(record.field(data, "service", where)),
        method=str(data["method"]) if data.get("method") else None,
        path=str(data["path"]) if data.get("path") else None,
        statuses=tuple(int(record.number(x, where, "statuses")) for x in statuses),
        comparator=comparator,
        header=str(data["header"]) if data.get("header") else None,
        backoff_after=tuple(int(record.number(x, where, "backoff_after")) for x in after),
        backoff_at_least=record.number(data.get("backoff_at_least", 0.0), where, "backoff_at_least"),
        backoff_key=str(data.get("backoff_key") or "body"),
        label=label,
        **result_checks.expected_from_record(data, where, required=comparator is not None),
    )


def _probe(check: StubInvariant, tools: ProbeTools) -> Probed:
    try:
        value, detail, values = tools.stub_calls(check)
    except ProbeError as error:
        return Probed(False, None, str(error))
    return Probed(True, value, detail, values)


def _judge(check: StubInvariant, cid: str, measurements: Measurements) -> Judgement:
    """Counts compare with a number or a task's count; a header check and a backoff check pass
    when no call lacks the header / no retry came too soon."""
    comparator = check.comparator or "equals"
    unit = {"count": "calls", "header": "calls", "backoff": "retries"}[check.kind]
    if check.kind == "count":
        return result_checks.judge_counted(
            check,
            cid,
            measurements,
            unit=unit,
            failure="stub journal not read",
            measured=lambda probe: probe.detail,
            comparator=comparator,
        )

    def result(passed: bool, measured: float | None, reason: str) -> Judgement:
        return Judgement(passed, measured, 0.0, unit, reason, comparator)

    probe = measurements.latest_probe(cid)
    if probe is None:
        return result(False, None, f"no data: no probe result recorded for {cid}")
    if not probe.ok or probe.value is None:
        return result(False, None, f"stub journal not read: {probe.detail or 'no value returned'}")
    values = dict(probe.values)
    if check.kind == "header" and not values.get("calls"):
        return result(False, probe.value, f"no data: no calls to check for {check.header}")
    if check.kind == "backoff" and not values.get("retries"):
        return result(
            True,
            0.0,
            f"no retries after {'/'.join(map(str, check.backoff_after))} among {values.get('calls', 0)} calls",
        )
    return result(probe.value == 0, probe.value, probe.detail)  # no call without it / no retry too soon


KIND = CheckKind(
    name="stub",
    model=StubInvariant,
    written_as="stub",
    schema="stub_check",
    claims=lambda written: "stub" in written,
    build=_build,
    refs=_refs,
    label=_label,
    to_record=_to_record,
    from_record=_from_record,
    probe=_probe,
    judge=_judge,
    judged_phase=whole_run,
)
