"""Building the frozen Profile from a tree that passed the schema and the reference checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, overload

from envsim.config.fault_kinds import kinds_claiming, links_written, target_written
from envsim.config.fault_model import FailureMode
from envsim.config.interpolate import as_template
from envsim.config.profile_model import (
    BuildSpec,
    ColumnGenerator,
    Credential,
    HealthCheck,
    LoadDefaults,
    Profile,
    Resources,
    RowsSeed,
    Service,
    SqlSeed,
    StubAuth,
    StubLatency,
    StubRateLimit,
    StubRoute,
    StubSpec,
    StubVersioning,
)
from envsim.config.refs import STUB_DEFAULT_PORT_NAME
from envsim.config.yamlload import TreePath, YamlDoc
from envsim.units import parse_duration, parse_size


@overload
def seconds(value: Any, default: float) -> float: ...
@overload
def seconds(value: Any, default: None = None) -> float | None: ...
def seconds(value: Any, default: float | None = None) -> float | None:
    if value is None:
        return default
    parsed = parse_duration(value)
    return default if parsed is None else parsed


def required_seconds(value: Any) -> float:
    """A duration the schema requires and has already checked."""
    parsed = parse_duration(value)
    if parsed is None:
        raise ValueError(f"not a duration: {value!r}")
    return parsed


def build_profile(doc: YamlDoc, root: Path) -> Profile:
    data = doc.data
    services = tuple(_service(doc, name, spec) for name, spec in data.get("services", {}).items())
    credentials = tuple(_credential(name, spec) for name, spec in data.get("credentials", {}).items())
    load = data.get("scale", {}).get("load", {})
    modes = tuple(_failure_mode(name, spec) for name, spec in data.get("failure_modes", {}).items())
    return Profile(
        name=str(data.get("name") or doc.path.stem),
        source=doc.path.resolve(),
        root=root.resolve(),
        services=services,
        credentials=credentials,
        load=LoadDefaults(users=load.get("users"), spawn_rate=_float(load.get("spawn_rate"))),
        failure_modes=modes,
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _file(doc: YamlDoc, where: TreePath, relative: str) -> Path:
    return (doc.source_of(where).parent / relative).resolve()


def _service(doc: YamlDoc, name: str, spec: dict[str, Any]) -> Service:
    here = ("services", name)
    stub = _stub(doc, here + ("stub",), spec["stub"]) if "stub" in spec else None
    ports = tuple((port, number) for port, number in spec.get("ports", {}).items())
    if stub is not None and not ports:
        ports = ((STUB_DEFAULT_PORT_NAME, stub.port),)
    publish_spec = spec.get("publish", [])
    publish = tuple((p, None) for p in publish_spec) if isinstance(publish_spec, list) else tuple(publish_spec.items())
    resources = spec.get("resources", {})
    return Service(
        name=name,
        image=spec.get("image"),
        build=_build(doc, here + ("build",), spec["build"]) if "build" in spec else None,
        stub=stub,
        command=tuple(spec["command"]) if "command" in spec else None,
        env=tuple((key, as_template(value)) for key, value in spec.get("env", {}).items()),
        ports=ports,
        publish=publish,
        health=_health(spec["health"]) if "health" in spec else None,
        depends_on=tuple(spec.get("depends_on", ())),
        replicas=spec.get("replicas", 1),
        balance=spec.get("balance"),
        resources=Resources(
            cpus=_float(resources.get("cpus")),
            memory=parse_size(resources["memory"]) if "memory" in resources else None,
        ),
        seed=tuple(_seed(doc, here + ("seed", i), step) for i, step in enumerate(spec.get("seed", ()))),
        secret_files=tuple(spec.get("secret_files", {}).items()),
        statements=spec.get("statements"),
    )


def _build(doc: YamlDoc, where: TreePath, spec: Any) -> BuildSpec:
    if isinstance(spec, str):
        return BuildSpec(context=_file(doc, where, spec))
    args = tuple((key, _text(value)) for key, value in spec.get("args", {}).items())
    return BuildSpec(
        context=_file(doc, where + ("context",), spec["context"]),
        dockerfile=spec.get("dockerfile", "Dockerfile"),
        args=args,
        base=spec.get("base"),
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _health(spec: dict[str, Any]) -> HealthCheck:
    if "running_for" in spec:
        check = HealthCheck(kind="running", running_for=seconds(spec["running_for"], 0.0))
    elif "http" in spec:
        check = HealthCheck(kind="http", path=spec["http"], port=spec.get("port"))
    elif "tcp" in spec:
        check = HealthCheck(kind="tcp", port=spec["tcp"])
    else:
        check = HealthCheck(kind="cmd", command=tuple(spec["cmd"]), port=spec.get("port"))
    return dataclasses.replace(
        check,
        interval=seconds(spec.get("interval"), 1.0),
        timeout=seconds(spec.get("timeout"), 5.0),
        start_period=seconds(spec.get("start_period"), 60.0),
    )


def _seed(doc: YamlDoc, where: TreePath, step: dict[str, Any]) -> SqlSeed | RowsSeed:
    if "sql" in step:
        return SqlSeed(file=_file(doc, where + ("sql",), step["sql"]))
    rows = step["rows"]
    columns = tuple((column, _column(generator)) for column, generator in rows["columns"].items())
    return RowsSeed(table=rows["table"], count=rows["count"], columns=columns, create=rows.get("create"))


def _column(spec: Any) -> ColumnGenerator:
    if isinstance(spec, str):
        return ColumnGenerator(kind=spec)
    ((kind, options),) = spec.items()
    if kind == "choice":
        return ColumnGenerator(kind=kind, options=(("values", tuple(options)),))
    return ColumnGenerator(kind=kind, options=tuple(options.items()))


def _stub(doc: YamlDoc, where: TreePath, spec: dict[str, Any]) -> StubSpec:
    routes = tuple(
        StubRoute(
            method=r["method"],
            path=r["path"],
            status=r.get("status", 200),
            body=r.get("body"),
            headers=tuple((k, str(v)) for k, v in r.get("headers", {}).items()),
            match_query=tuple((k, str(v)) for k, v in r.get("match", {}).get("query", {}).items()),
            match_headers=tuple((k, str(v)) for k, v in r.get("match", {}).get("headers", {}).items()),
            match_json=r.get("match", {}).get("json"),
        )
        for r in spec.get("routes", ())
    )
    version = spec.get("version")
    latency = spec.get("latency", {})
    auth = spec.get("auth")
    quota = spec.get("rate_limit")
    return StubSpec(
        routes=routes,
        openapi=_file(doc, where + ("openapi",), spec["openapi"]) if "openapi" in spec else None,
        bearer=as_template(auth["bearer"]) if auth and "bearer" in auth else None,
        versioning=StubVersioning(
            header=version.get("header"),
            current=version["current"],
            deprecated=tuple(version.get("deprecated", ())),
            prefix=bool(version.get("prefix", False)),
            gone_status=version.get("gone", {}).get("status", 410),
            gone_body=version.get("gone", {}).get("body"),
            sunset=version.get("sunset"),
        )
        if version
        else None,
        latency_p50=seconds(latency.get("p50")) if isinstance(latency, dict) else None,
        latency_p99=seconds(latency.get("p99")) if isinstance(latency, dict) else None,
        port=spec.get("port", 8080),
        auth=_stub_auth(auth) if auth else None,
        latency=_stub_latency(latency) if latency not in (None, {}) else None,
        rate_limit=StubRateLimit(quota["requests"], seconds(quota["per"]) or 60.0) if quota else None,
    )


def _stub_auth(auth: dict[str, Any]) -> StubAuth:
    realm = auth.get("realm", "api")
    if "bearer" in auth:
        return StubAuth("bearer", as_template(auth["bearer"]), realm=realm)
    key = auth["api_key"]
    return StubAuth("api_key", as_template(key["value"]), header=key.get("header"), query=key.get("query"), realm=realm)


def _stub_latency(latency: Any) -> StubLatency:
    if not isinstance(latency, dict):
        return StubLatency("fixed", seconds(latency) or 0.0)
    if "min" in latency:
        return StubLatency("uniform", seconds(latency["min"]) or 0.0, seconds(latency["max"]) or 0.0)
    p50 = seconds(latency.get("p50")) or 0.0
    return (
        StubLatency("log_normal", p50, seconds(latency.get("p99")) or p50)
        if "p99" in latency
        else StubLatency("fixed", p50)
    )


def _credential(name: str, spec: dict[str, Any]) -> Credential:
    if "value" in spec:
        return Credential(name=name, generate="value", value=as_template(spec["value"]))
    return Credential(
        name=name,
        generate=spec["generate"],
        length=spec.get("length", 24),
        ttl=seconds(spec.get("ttl")),
        overlap=seconds(spec.get("overlap")) or 0.0,
    )


def _failure_mode(name: str, spec: dict[str, Any]) -> FailureMode:
    effects = tuple(effect for kind in kinds_claiming(spec) for effect in kind.build(spec))
    return FailureMode(name=name, target=target_written(spec), effects=effects, links=links_written(spec))
