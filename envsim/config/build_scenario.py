"""Building the frozen Scenario from a checked tree and its loaded Profile."""

from __future__ import annotations

import dataclasses

from pathlib import Path
from typing import Any

from envsim.config.build_profile import seconds
from envsim.config.interpolate import SecretText, as_template
from envsim.config.model import (
    CommandInvariant,
    HttpInvariant,
    LoadSpec,
    LoadStage,
    LoadTask,
    LoadVar,
    MetricCheck,
    Profile,
    RecoveryCheck,
    RedisInvariant,
    Scenario,
    SqlInvariant,
    StubInvariant,
    Template,
    TimelineEntry,
)
from envsim.config.check_text import COMPARATORS, LATENCY_METRICS, check_label
from envsim.config.refs_flows import read_csv
from envsim.config.refs_scenario import load_duration, resolve_endpoint, task_index
from envsim.config.yamlload import YamlDoc
from envsim.units import parse_percent

DEFAULT_FORMATS = ("json", "junit", "html", "markdown")


def build_scenario(doc: YamlDoc, profile: Profile, root: Path) -> Scenario:
    data = doc.data
    names, by_request = task_index(data)
    reports = data.get("reports", {})
    return Scenario(
        name=str(data.get("name") or doc.path.stem),
        source=doc.path.resolve(),
        root=root.resolve(),
        profile_ref=data["profile"],
        profile=profile,
        load=_load(doc, data["load"], profile),
        timeline=tuple(TimelineEntry(at=seconds(e["at"]), fault=e["fault"], duration=seconds(e.get("for")))
                       for e in data.get("timeline", ())),
        checks=tuple(_check(check, names, by_request) for check in data.get("checks", ())),
        reports_dir=(doc.source_of(("reports", "dir")).parent / reports["dir"]).resolve() if "dir" in reports else None,
        report_formats=tuple(reports.get("formats", DEFAULT_FORMATS)),
    )


def _load(doc: YamlDoc, load: dict, profile: Profile) -> LoadSpec:
    stages = tuple(LoadStage(duration=seconds(s["duration"]), users=s["users"],
                             spawn_rate=float(s.get("spawn_rate", s["users"] or 1)))
                   for s in load.get("stages", ()))
    users = load.get("users") or profile.load.users or max((s.users for s in stages), default=1)
    # Without a rate anywhere, every user starts within the first second.
    spawn_rate = float(load.get("spawn_rate") or profile.load.spawn_rate or users)
    target, target_port = _target(load.get("target"), profile)
    wait = load.get("wait", 0)
    low, high = (wait, wait) if not isinstance(wait, list) else wait
    return LoadSpec(
        users=users,
        spawn_rate=spawn_rate,
        duration=load_duration(load) or 0.0,
        target=target,
        target_port=target_port,
        stages=stages,
        tasks=tuple(_task(doc, t, ("load", "tasks", i)) for i, t in enumerate(load.get("tasks", ()))),
        locustfile=(doc.source_of(("load", "locustfile")).parent / load["locustfile"]).resolve()
        if "locustfile" in load else None,
        wait=(seconds(low, 0.0), seconds(high, 0.0)),
        workers=load.get("workers", 0),
        timeout=seconds(load.get("timeout"), LoadSpec.timeout),
        vars=_vars(doc, load.get("vars", {}), ("load", "vars")),
    )


def _target(written: str | None, profile: Profile) -> tuple[str | None, str | None]:
    if written is None:
        service = next(s for s in profile.services if s.publish)
        return service.name, service.publish[0][0]
    name, _, port = written.partition(".")
    return name, port or profile.service(name).publish[0][0]


def _task(doc: YamlDoc, spec: dict, where: tuple) -> LoadTask:
    if "steps" in spec:
        return LoadTask(name=spec["name"], method="", path="", weight=spec.get("weight", 1),
                        vars=_vars(doc, spec.get("vars", {}), where + ("vars",)),
                        steps=tuple(_task(doc, step, where + ("steps", i)) for i, step in enumerate(spec["steps"])))
    method, path, path_template = split_request(spec["request"])
    expect = spec.get("expect", [])
    templates: list[tuple[tuple[str | int, ...], Template]] = []
    return LoadTask(
        name=spec["name"],
        method=method,
        path=path,
        weight=spec.get("weight", 1),
        json=_plain_json(spec.get("json"), (), templates),
        headers=tuple((key, as_template(value)) for key, value in spec.get("headers", {}).items()),
        expect_status=tuple(expect) if isinstance(expect, list) else (expect,),
        timeout=seconds(spec.get("timeout")),
        path_template=path_template,
        json_templates=tuple(templates),
        vars=_vars(doc, spec.get("vars", {}), where + ("vars",)),
        capture=tuple((name, source) for name, source in spec.get("capture", {}).items()),
    )


def split_request(request: str) -> tuple[str, str, Template | None]:
    """"GET /items/${var.id}" -> method, the path as written, and its template when it uses variables."""
    method, path = request.split(None, 1)
    template = as_template(request)
    if not template.vars:
        return method, path.strip(), None
    first, *rest = template.parts  # the schema's pattern puts the method and the path's start first
    assert isinstance(first, str)
    return method, path.strip(), Template((first.split(None, 1)[1].lstrip(), *rest))


def _plain_json(value: object, where: tuple, templates: list) -> object:
    """The body as written (variables shown as `${var.NAME}`); strings using variables noted."""
    if isinstance(value, dict):
        return {k: _plain_json(v, where + (k,), templates) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v, where + (i,), templates) for i, v in enumerate(value)]
    if isinstance(value, SecretText):
        templates.append((where, value.template))
        return str(value)
    return value


def _vars(doc: YamlDoc, written: dict, where: tuple) -> tuple[LoadVar, ...]:
    built = []
    for name, spec in written.items():
        (kind, value), = spec.items()
        if kind == "csv":
            path = (doc.source_of(where + (name, "csv")).parent / value).resolve()
            columns, rows = read_csv(path)
            built.append(LoadVar(name, "csv", (columns, rows), path))
        elif kind == "counter":
            built.append(LoadVar(name, "counter", (int(value),)))
        elif kind == "int":
            built.append(LoadVar(name, "int", (int(value[0]), int(value[1]))))
        elif kind == "choice":
            built.append(LoadVar(name, "choice", tuple(value)))
        else:
            built.append(LoadVar(name, "uuid"))
    return tuple(built)


def _comparator(check: dict) -> str:
    return next(c for c in COMPARATORS if c in check)


def _expected(check: dict, comparator: str, names: list[str],
              by_request: dict[str, list[str]]) -> tuple[float | None, tuple[str, str] | None]:
    """A comparator's value: a number, or a count of the run's requests ({successes: TASK})."""
    value = check[comparator]
    if isinstance(value, dict):
        (what, endpoint), = value.items()
        return None, (what, resolve_endpoint(endpoint, names, by_request) or endpoint)
    return float(value), None


def _check(check: dict, names: list[str], by_request: dict[str, list[str]]):
    if "sql" in check:
        return _sql_check(check, _comparator(check), names, by_request)
    if "http" in check:
        method, path = check["http"]["request"].split(None, 1)
        status = check.get("status", 200)
        return _labelled(HttpInvariant(service=check["http"]["service"], method=method, path=path.strip(),
                                       port=check["http"].get("port"), expect_status=status,
                                       expect=check.get("expect")))
    if "redis" in check:
        comparator = _comparator(check)
        expected, count_of = _expected(check, comparator, names, by_request)
        command = check["redis"]["command"]
        return _labelled(RedisInvariant(service=check["redis"]["service"],
                                        command=(command[0].upper(), *command[1:]), comparator=comparator,
                                        expected=expected, expected_count_of=count_of,
                                        tolerance=float(check.get("tolerance", 0))))
    if "stub" in check:
        return _stub_check(check, names, by_request)
    if "exec" in check:
        comparator = next((c for c in COMPARATORS if c in check), None)
        expected, count_of = _expected(check, comparator, names, by_request) if comparator else (None, None)
        exit_code = check.get("exit", 0)
        return _labelled(CommandInvariant(service=check["exec"]["service"], command=tuple(check["exec"]["cmd"]),
                                          exit_code=None if exit_code == "any" else exit_code,
                                          comparator=comparator, expected=expected, expected_count_of=count_of,
                                          tolerance=float(check.get("tolerance", 0))))
    metric = check["metric"]
    comparator = _comparator(check)
    bound = _metric_bound(metric, check[comparator])
    if metric == "recovery_time":
        fault = check["after"]
        return _labelled(RecoveryCheck(fault=fault, bound=bound, comparator=comparator))
    endpoint = check.get("endpoint")
    if endpoint is not None:
        endpoint = resolve_endpoint(endpoint, names, by_request) or endpoint
    phase = check.get("phase", "run")
    if "during" in check:
        phase = f"during:{check['during']}"
    elif "after" in check:
        phase = f"after:{check['after']}"
    return _labelled(MetricCheck(metric=metric, comparator=comparator, bound=bound, endpoint=endpoint, phase=phase))


def _metric_bound(metric: str, value: Any) -> float:
    if metric in LATENCY_METRICS or metric == "recovery_time":
        return seconds(value, 0.0)
    if metric == "error_rate":
        return parse_percent(value) or 0.0
    return float(value)


def _sql_check(check: dict, comparator: str, names: list[str], by_request: dict[str, list[str]]) -> SqlInvariant:
    value = check[comparator]
    spec = check["sql"]
    expected: float | None = None
    count_of: tuple[str, str] | None = None
    if isinstance(value, dict):
        (what, endpoint), = value.items()
        count_of = (what, resolve_endpoint(endpoint, names, by_request) or endpoint)
    else:
        expected = float(value)
    return _labelled(SqlInvariant(service=spec["service"], query=spec["query"], comparator=comparator,
                                  expected=expected, expected_count_of=count_of,
                                  tolerance=float(check.get("tolerance", 0))))


def _stub_check(check: dict, names: list[str], by_request: dict[str, list[str]]) -> StubInvariant:
    spec = check["stub"]
    method = path = None
    if spec.get("request"):
        method, path = spec["request"].split(None, 1)
        method, path = method.upper(), path.strip()
    status = spec.get("status", [])
    statuses = tuple(status) if isinstance(status, list) else (status,)
    comparator = next((c for c in COMPARATORS if c in check), None)
    expected, count_of = _expected(check, comparator, names, by_request) if comparator else (None, None)
    backoff = check.get("backoff") or {}
    return _labelled(StubInvariant(
        service=spec["service"], method=method, path=path, statuses=statuses, comparator=comparator,
        expected=expected, expected_count_of=count_of, tolerance=float(check.get("tolerance", 0)),
        header=check.get("header"), backoff_after=tuple(backoff.get("after", ())),
        backoff_at_least=seconds(backoff.get("at_least")) or 0.0, backoff_key=backoff.get("key", "body"),
    ))


def _labelled(check):
    return dataclasses.replace(check, label=check_label(check))
