"""A profile or scenario described for a code generator: plain JSON-able dicts. Pure.

Secret values never reach this module (the model keeps `${secret.NAME}` symbolic); every
value that mentions one is shown as `<secret: NAME>` with the credential's generation rule,
rotation ttl and where it is mounted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envsim.api import (
    Credential,
    FailureMode,
    FaultPlan,
    HealthCheck,
    Profile,
    ScenarioPlan,
    Service,
    StubSpec,
    Template,
    by_kind,
    http_fault,
    kind_of_effect,
)
from envsim.units import format_duration


def secret_marker(name: str) -> str:
    return f"<secret: {name}>"


def redacted(template: Template) -> str:
    return "".join(p if isinstance(p, str) else secret_marker(p.name) for p in template.parts)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name


def _health(check: HealthCheck | None) -> dict[str, Any] | None:
    if check is None:
        return None
    out: dict[str, Any] = {
        "kind": check.kind,
        "interval": check.interval,
        "timeout": check.timeout,
        "start_period": check.start_period,
    }
    if check.kind == "http":
        out["path"] = check.path
    if check.kind == "cmd":
        out["command"] = list(check.command)
    if check.kind == "running":
        out["running_for"] = check.running_for
    if check.port:
        out["port"] = check.port
    return out


def _kind(service: Service) -> str:
    return "stub" if service.stub else "build" if service.build else "image"


# --------------------------------------------------------------------------- services


def describe_services(profile: Profile) -> dict[str, Any]:
    services = []
    for service in profile.services:
        ports = dict(service.ports)
        services.append(
            {
                "name": service.name,
                "kind": _kind(service),
                "image": service.image,
                "build": (
                    {
                        "context": _relative(service.build.context, profile.root),
                        "dockerfile": service.build.dockerfile,
                        "args": dict(service.build.args),
                    }
                    if service.build
                    else None
                ),
                "stub": service.stub is not None,
                "command": list(service.command) if service.command is not None else None,
                "ports": [
                    {"name": name, "container_port": port, "address": f"{service.name}:{port}"}
                    for name, port in service.ports
                ],
                "published": [
                    {
                        "name": name,
                        "container_port": ports.get(name),
                        "host": f"127.0.0.1:{host if host is not None else 'free (chosen at up; see status)'}",
                    }
                    for name, host in service.publish
                ],
                "depends_on": list(service.depends_on),
                "replicas": service.replicas,
                "health": _health(service.health),
                "resources": {"cpus": service.resources.cpus, "memory": service.resources.memory},
            }
        )
    return {
        "profile": profile.name,
        "network_note": "services reach each other by name and container port (through Toxiproxy, so faults "
        "apply); published ports are on 127.0.0.1 of the host",
        "services": services,
    }


# --------------------------------------------------------------------------- configuration


def describe_credential(credential: Credential, profile: Profile) -> dict[str, Any]:
    rule: dict[str, Any] = {"generate": credential.generate}
    if credential.generate == "value":
        rule["source"] = "taken from the caller's environment (${env.VAR}) when the profile loads"
    else:
        rule["length"] = credential.length
    mounts = [
        {"service": s.name, "path": path}
        for s in profile.services
        for name, path in s.secret_files
        if name == credential.name
    ]
    used_by = [
        {"service": s.name, "env": var}
        for s in profile.services
        for var, value in s.env
        if credential.name in value.secrets
    ]
    used_by += [
        {"service": s.name, "stub_auth": "bearer"}
        for s in profile.services
        if s.stub and s.stub.bearer and credential.name in s.stub.bearer.secrets
    ]
    return {
        "name": credential.name,
        "value": secret_marker(credential.name),
        **rule,
        "ttl": credential.ttl,
        "rotation": (
            f"rotates every {format_duration(credential.ttl)}; the old value is rejected after that"
            if credential.ttl
            else "does not rotate"
        ),
        "mounted": mounts,
        "used_by": used_by,
    }


def describe_configuration(profile: Profile) -> dict[str, Any]:
    credentials = {c.name: c for c in profile.credentials}
    services = []
    for service in profile.services:
        variables = []
        for name, value in service.env:
            entry: dict[str, Any] = {"name": name, "value": redacted(value), "secret": bool(value.secrets)}
            if value.secrets:
                entry["secrets"] = [
                    {
                        "name": s,
                        "generate": credentials[s].generate if s in credentials else None,
                        "ttl": credentials[s].ttl if s in credentials else None,
                    }
                    for s in value.secrets
                ]
            variables.append(entry)
        services.append(
            {
                "service": service.name,
                "env": variables,
                "secret_files": [
                    {"path": path, "value": secret_marker(name), "secret": name} for name, path in service.secret_files
                ],
            }
        )
    return {
        "profile": profile.name,
        "note": "values marked <secret: NAME> are generated per stack and never shown; read them in the "
        "running service from its environment or its secret file",
        "services": services,
        "credentials": [describe_credential(c, profile) for c in profile.credentials],
    }


# --------------------------------------------------------------------------- third-party APIs


def _stub_auth(stub: StubSpec, profile: Profile) -> dict[str, Any] | None:
    if stub.bearer is None:
        return None
    names = list(stub.bearer.secrets)
    auth: dict[str, Any] = {
        "scheme": "bearer",
        "header": "Authorization",
        "format": "Bearer <token>",
        "token": secret_marker(names[0]) if names else "<redacted: a fixed token from the profile>",
        "credential": names[0] if names else None,
    }
    credential = next((c for c in profile.credentials if names and c.name == names[0]), None)
    if credential is not None:
        auth["generate"] = credential.generate
        auth["ttl"] = credential.ttl
        auth["rotation"] = describe_credential(credential, profile)["rotation"]
    return auth


def _stub_versions(stub: StubSpec) -> dict[str, Any] | None:
    if stub.versioning is None:
        return None
    return {
        "header": stub.versioning.header,
        "current": stub.versioning.current,
        "deprecated": list(stub.versioning.deprecated),
        "note": "requests naming a deprecated version are rejected",
    }


def describe_apis(profile: Profile) -> dict[str, Any]:
    apis = []
    for service in profile.services:
        stub = service.stub
        if stub is None:
            continue
        auth, versions = _stub_auth(stub, profile), _stub_versions(stub)
        modes = [
            (m.name, errors)
            for m in profile.failure_modes
            if m.target == service.name and (errors := http_fault(m.effects)) is not None
        ]
        port = dict(service.ports).get("http", stub.port)
        apis.append(
            {
                "service": service.name,
                "base_url": f"http://{service.name}:{port}",
                "routes": [
                    {
                        "method": r.method,
                        "path": r.path,
                        "status": r.status,
                        **({"body": r.body} if r.body is not None else {}),
                    }
                    for r in stub.routes
                ],
                "openapi": _relative(stub.openapi, profile.root) if stub.openapi else None,
                "auth": auth,
                "versions": versions,
                "latency": {"p50": stub.latency_p50, "p99": stub.latency_p99},
                "rate_limits": [
                    {
                        "failure_mode": name,
                        "statuses": {str(code): rate for code, rate in errors.rates},
                        "retry_after": errors.retry_after,
                    }
                    for name, errors in modes
                    if any(code == 429 for code, _ in errors.rates)
                ],
                "error_modes": [name for name, _ in modes],
            }
        )
    return {"profile": profile.name, "apis": apis}


# --------------------------------------------------------------------------- failures and scenarios


def _mode_kind(mode: FailureMode) -> str:
    return ", ".join(kind.summary(effects) for kind, effects in by_kind(mode.effects, kind_of_effect)) or "none"


def describe_failure_modes(profile: Profile, faults: tuple[FaultPlan, ...]) -> dict[str, Any]:
    modes = {m.name: m for m in profile.failure_modes}
    return {
        "profile": profile.name,
        "note": "what your code must survive: each mode can be applied to a running stack by name",
        "failure_modes": [
            {"name": f.name, "target": f.target, "kind": _mode_kind(modes[f.name]), "effect": f.describe()}
            for f in faults
        ],
    }


def describe_scenario(plan: ScenarioPlan, source: str, profile_ref: str) -> dict[str, Any]:
    load = plan.load
    return {
        "name": plan.scenario,
        "file": source,
        "profile": profile_ref,
        "load": {
            "target": f"{plan.entry_point.service} ({plan.entry_point.port_name})",
            "users": load.users,
            "spawn_rate": load.spawn_rate,
            **({"rate_per_second": load.rate} if load.rate is not None else {}),  # task runs, the whole load
            "duration": plan.total_duration,
            "tasks": [
                {
                    "name": t.name,
                    "weight": t.weight,
                    "request": f"{t.method} {t.path}",
                    "expect_status": list(t.expect_status),
                }
                for t in load.tasks
            ],
        },
        "timeline": [{"fault": s.fault, "start": s.start, "end": s.end} for s in plan.timeline],
        "faults": [{"name": f.name, "target": f.target, "effect": f.describe()} for f in plan.faults],
        "checks": list(plan.checks),
    }
