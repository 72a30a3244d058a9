"""`{http: {service: api, request: "GET /orders/count"}, status: 200, expect: "count >= 20000"}`:
a request sent to a service after the load, its status and (with `expect`) a condition on the
JSON answer's fields (envsim.config.expr)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.check_kinds import record, result_checks
from envsim.config.check_kinds.kind import (
    CheckKind,
    Judgement,
    Measurements,
    Probed,
    ProbeError,
    ProbeTools,
    ScenarioContext,
    whole_run,
)
from envsim.config.expr import MISSING, ExprError, evaluate, read_path, recorded_value
from envsim.config.expr import parse as parse_expression
from envsim.config.expr import paths as expression_paths
from envsim.config.refs import mapping, unknown
from envsim.config.yamlload import TreePath, YamlDoc, format_path
from envsim.errors import Problem

MAX_ANSWER = 1 << 20  # bytes of an answer read for its JSON fields


@dataclass(frozen=True)
class HttpInvariant:
    service: str
    method: str
    path: str
    port: str | None = None
    expect_status: int = 200
    label: str = ""
    # a condition on the JSON answer's fields (envsim.config.expr), e.g. "sold + stock == 100"
    expect: str | None = None


def _build(written: Mapping[str, Any], context: ScenarioContext) -> HttpInvariant:
    spec = written["http"]
    method, path = spec["request"].split(None, 1)
    return HttpInvariant(
        service=spec["service"],
        method=method,
        path=path.strip(),
        port=spec.get("port"),
        expect_status=written.get("status", 200),
        expect=written.get("expect"),
    )


def _refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    problems = result_checks.service_refs(written, "http", here, context)
    spec = mapping(written.get("http"))
    if (
        not problems
        and context.profile is not None
        and isinstance(spec.get("service"), str)
        and isinstance(spec.get("port"), str)
    ):
        ports = [p for p, _ in context.profile.service(spec["service"]).ports]
        if spec["port"] not in ports:
            problems.append(context.problem(here + ("http", "port"), unknown("port", spec["port"], ports)))
    expect = written.get("expect")
    if isinstance(expect, str):
        try:
            parse_expression(expect)
        except ExprError as error:
            problems.append(expression_problem(context.doc, here + ("expect",), expect, error))
    return problems


def expression_problem(doc: YamlDoc, where: TreePath, text: str, error: ExprError) -> Problem:
    """The expression's mistake, located at its character in the file when the value is on one line."""
    mark = doc.mark(where)
    col = mark.col
    try:
        line = doc.sources.get(mark.file, doc.path).read_text(encoding="utf-8").splitlines()[mark.line - 1]
        start = mark.col - 1
        quoted = line[start : start + 1] in ("'", '"')
        body = line[start + 1 :] if quoted else line[start:]
        if body.startswith(text[: error.offset]) and "\\" not in text and "''" not in text:
            col = mark.col + (1 if quoted else 0) + error.offset
    except (OSError, IndexError):
        pass
    return Problem(mark.file, mark.line, col, format_path(where), f"{error.message} (in '{text}')")


def _label(check: HttpInvariant) -> str:
    text = f"{check.method} {check.path} on {check.service} -> {check.expect_status}"
    return text + (f", {check.expect}" if check.expect else "")


def _to_record(check: HttpInvariant) -> dict[str, Any]:
    return {
        "service": check.service,
        "method": check.method,
        "path": check.path,
        "port": check.port,
        "expect_status": check.expect_status,
        "expect": check.expect,
    }


def _from_record(data: Mapping[str, Any], where: str, label: str) -> HttpInvariant:
    return HttpInvariant(
        service=str(record.field(data, "service", where)),
        method=str(record.field(data, "method", where)),
        path=str(record.field(data, "path", where)),
        port=data.get("port"),
        expect_status=int(record.number(data.get("expect_status", 200), where, "expect_status")),
        label=label,
        expect=str(data["expect"]) if data.get("expect") else None,
    )


def _probe(check: HttpInvariant, tools: ProbeTools) -> Probed:
    try:
        status, body = tools.http(check.service, check.port, check.method, check.path, MAX_ANSWER)
    except ProbeError as error:
        return Probed(False, None, str(error))
    values: tuple[tuple[str, object], ...] = ()
    detail = f"HTTP {status}"
    if check.expect:
        values, problem = json_fields(body, check.expect)
        detail += f"; {problem}" if problem else ""
    return Probed(True, float(status), detail, values)


def json_fields(body: bytes, expect: str) -> tuple[tuple[tuple[str, object], ...], str]:
    """The fields an expression reads, from a JSON answer: ((path, value), ...) and a problem."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return (), f"the answer is not JSON: {body[:100]!r}"
    try:
        wanted = expression_paths(parse_expression(expect))
    except ExprError as error:
        return (), str(error)
    found = []
    for path in wanted:
        value = read_path(document, path)
        if value is not MISSING:
            found.append((path, recorded_value(value)))
    return tuple(found), ""


def _judge(check: HttpInvariant, cid: str, measurements: Measurements) -> Judgement:
    def result(passed: bool, measured: float | None, reason: str) -> Judgement:
        return Judgement(passed, measured, float(check.expect_status), "status", reason, "equals")

    probe = measurements.latest_probe(cid)
    if probe is None:
        return result(False, None, f"no data: no probe result recorded for {cid}")
    if not probe.ok or probe.value is None:
        return result(False, None, f"request failed: {probe.detail or 'no status received'}")
    passed = int(probe.value) == check.expect_status
    answered = f"{check.method} {check.path} answered {probe.value:g}"
    if not check.expect or not passed:
        return result(passed, probe.value, answered)
    # past the status, what is judged is the condition: measured true or false against true, so a
    # failed `expect` never reads "measured 200, bound = 200"
    read = ", ".join(f"{k} = {json_text(v)}" for k, v in probe.values) or "no fields"
    try:
        holds = evaluate(parse_expression(check.expect), dict(probe.values))
    except ExprError as error:
        problem = probe.detail.partition("; ")[2] or error.message
        return Judgement(False, None, 1.0, "condition", f"{answered}; {check.expect}: {problem} ({read})", "equals")
    reason = f"{answered}; {check.expect} is {'true' if holds else 'false'} with {read}"
    return Judgement(holds, 1.0 if holds else 0.0, 1.0, "condition", reason, "equals")


def json_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value) if isinstance(value, (int, float)) or value in ("<object>", "<array>") else repr(value)


KIND = CheckKind(
    name="http",
    model=HttpInvariant,
    written_as="http",
    schema="http_check",
    claims=lambda written: "http" in written,
    build=_build,
    refs=_refs,
    label=_label,
    to_record=_to_record,
    from_record=_from_record,
    probe=_probe,
    judge=_judge,
    judged_phase=whole_run,
)
