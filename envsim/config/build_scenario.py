"""Building the frozen Scenario from a checked tree and its loaded Profile."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from envsim.config.build_profile import required_seconds, seconds
from envsim.config.check_kinds import Check, check_label, kind_written
from envsim.config.check_kinds.kind import ScenarioContext
from envsim.config.interpolate import SecretText, as_template
from envsim.config.load_rate import per_second
from envsim.config.profile_model import Profile
from envsim.config.refs_flows import read_csv
from envsim.config.refs_scenario import load_duration, scenario_context
from envsim.config.scenario_model import LoadSpec, LoadStage, LoadTask, LoadVar, Scenario, TimelineEntry
from envsim.config.template import Template
from envsim.config.yamlload import TreePath, YamlDoc

DEFAULT_FORMATS = ("json", "junit", "html", "markdown")


def build_scenario(doc: YamlDoc, profile: Profile, root: Path) -> Scenario:
    data = doc.data
    context = scenario_context(doc, profile)
    reports = data.get("reports", {})
    return Scenario(
        name=str(data.get("name") or doc.path.stem),
        source=doc.path.resolve(),
        root=root.resolve(),
        profile_ref=data["profile"],
        profile=profile,
        load=_load(doc, data["load"], profile),
        timeline=tuple(
            TimelineEntry(at=required_seconds(e["at"]), fault=e["fault"], duration=seconds(e.get("for")))
            for e in data.get("timeline", ())
        ),
        checks=tuple(_check(check, context) for check in data.get("checks", ())),
        reports_dir=(doc.source_of(("reports", "dir")).parent / reports["dir"]).resolve() if "dir" in reports else None,
        report_formats=tuple(reports.get("formats", DEFAULT_FORMATS)),
    )


def _load(doc: YamlDoc, load: dict[str, Any], profile: Profile) -> LoadSpec:
    stages = tuple(
        LoadStage(
            duration=required_seconds(s["duration"]),
            users=s["users"],
            spawn_rate=float(s.get("spawn_rate", s["users"] or 1)),
        )
        for s in load.get("stages", ())
    )
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
        if "locustfile" in load
        else None,
        wait=(seconds(low, 0.0), seconds(high, 0.0)),
        workers=load.get("workers", 0),
        allow_worker_loss=load.get("allow_worker_loss", False),
        cpus=tuple(load.get("cpus", ())),
        timeout=seconds(load.get("timeout"), LoadSpec.timeout),
        vars=_vars(doc, load.get("vars", {}), ("load", "vars")),
        rate=per_second(load["rate"]) if "rate" in load else None,
    )


def _target(written: str | None, profile: Profile) -> tuple[str | None, str | None]:
    if written is None:
        service = next(s for s in profile.services if s.publish)
        return service.name, service.publish[0][0]
    name, _, port = written.partition(".")
    return name, port or profile.service(name).publish[0][0]


def _task(doc: YamlDoc, spec: dict[str, Any], where: TreePath) -> LoadTask:
    if "steps" in spec:
        return LoadTask(
            name=spec["name"],
            method="",
            path="",
            weight=spec.get("weight", 1),
            vars=_vars(doc, spec.get("vars", {}), where + ("vars",)),
            steps=tuple(_task(doc, step, where + ("steps", i)) for i, step in enumerate(spec["steps"])),
        )
    method, path, path_template = split_request(spec["request"])
    expect = spec.get("expect", [])
    templates: list[tuple[TreePath, Template]] = []
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
    """ "GET /items/${var.id}" -> method, the path as written, and its template when it uses variables."""
    method, path = request.split(None, 1)
    template = as_template(request)
    if not template.vars:
        return method, path.strip(), None
    first, *rest = template.parts  # the schema's pattern puts the method and the path's start first
    assert isinstance(first, str)
    return method, path.strip(), Template((first.split(None, 1)[1].lstrip(), *rest))


def _plain_json(value: object, where: TreePath, templates: list[tuple[TreePath, Template]]) -> object:
    """The body as written (variables shown as `${var.NAME}`); strings using variables noted."""
    if isinstance(value, dict):
        return {k: _plain_json(v, where + (k,), templates) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_json(v, where + (i,), templates) for i, v in enumerate(value)]
    if isinstance(value, SecretText):
        templates.append((where, value.template))
        return str(value)
    return value


def _vars(doc: YamlDoc, written: dict[str, Any], where: TreePath) -> tuple[LoadVar, ...]:
    built = []
    for name, spec in written.items():
        ((kind, value),) = spec.items()
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


def _check(written: dict[str, Any], context: ScenarioContext) -> Check:
    check: Check = kind_written(written).build(written, context)
    return dataclasses.replace(check, label=check_label(check))
