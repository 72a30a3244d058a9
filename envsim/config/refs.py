"""Cross-reference checks of a profile, run after the schema: names that must exist, files
that must be there, and combinations the schema cannot express.

The checks read the tree defensively (a wrongly typed value is skipped: the schema already
reported it), so every problem in a file is found in one pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envsim.config.discover import inside
from envsim.config.fault_kinds import kinds_written
from envsim.config.fault_kinds.kind import FaultContext
from envsim.config.refs_links import check_links
from envsim.config.schema_check import did_you_mean
from envsim.config.service_kind import POSTGRES, image_kind
from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem

STUB_DEFAULT_PORT_NAME = "http"


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def unknown(kind: str, name: Any, known: Any) -> str:
    names = [str(k) for k in known]
    return f"unknown {kind} '{name}'{did_you_mean(str(name), names)}"


def check_path(
    doc: YamlDoc, where: TreePath, value: Any, root: Path, *, directory: bool = False, base: Path | None = None
) -> Problem | None:
    """A path written in a file must exist and stay inside the repo root."""
    if not isinstance(value, str) or not value:
        return None
    start = base if base is not None else doc.source_of(where).parent
    target = start / value
    if not inside(target, root):
        return doc.problem(where, f"path '{value}' leads outside the repo")
    if directory and not target.is_dir():
        return doc.problem(where, f"directory not found: '{value}'")
    if not directory and not target.is_file():
        return doc.problem(where, f"file not found: '{value}'")
    return None


def service_ports(service: dict[str, Any]) -> list[str]:
    """Port names of a service; a stub without `ports` has one implicit port named http."""
    ports = [k for k in mapping(service.get("ports"))]
    if not ports and isinstance(service.get("stub"), dict):
        return [STUB_DEFAULT_PORT_NAME]
    return ports


def published_ports(service: dict[str, Any]) -> list[str]:
    publish = service.get("publish")
    if isinstance(publish, list):
        return [p for p in publish if isinstance(p, str)]
    return list(mapping(publish))


def check_profile_refs(doc: YamlDoc, root: Path) -> list[Problem]:
    data = mapping(doc.data)
    services = {k: mapping(v) for k, v in mapping(data.get("services")).items()}
    credentials = mapping(data.get("credentials"))
    problems: list[Problem] = []
    if not services:
        problems.append(doc.problem(("services",), "a profile needs at least one service under 'services'"))
    for name, service in services.items():
        problems += _check_service(doc, name, service, services, credentials, root)
    problems += _check_cycles(doc, services)
    for name, mode in mapping(data.get("failure_modes")).items():
        problems += _check_failure_mode(doc, name, mapping(mode), services)
    return problems


def _check_service(
    doc: YamlDoc, name: str, service: dict[str, Any], services: dict[str, Any], credentials: dict[str, Any], root: Path
) -> list[Problem]:
    here = ("services", name)
    problems: list[Problem] = []
    for index, dependency in enumerate(sequence(service.get("depends_on"))):
        where: TreePath = here + ("depends_on", index)
        if dependency == name:
            problems.append(doc.problem(where, "a service cannot depend on itself"))
        elif isinstance(dependency, str) and dependency not in services:
            problems.append(doc.problem(where, unknown("service", dependency, services)))
    ports = service_ports(service)
    port_list = ", ".join(ports) if ports else "none"
    for port in published_ports(service):
        if port not in ports:
            where = (
                here
                + ("publish",)
                + ((sequence(service["publish"]).index(port),) if isinstance(service["publish"], list) else (port,))
            )
            problems.append(
                doc.problem(
                    where,
                    unknown("port", port, ports) + f" (ports of {name}: {port_list})",
                    key=isinstance(service["publish"], dict),
                )
            )
    health = mapping(service.get("health"))
    for key in ("tcp", "port"):
        health_port = health.get(key)
        if isinstance(health_port, str) and health_port not in ports:
            problems.append(
                doc.problem(
                    here + ("health", key), unknown("port", health_port, ports) + f" (ports of {name}: {port_list})"
                )
            )
    if ("http" in health or "tcp" in health) and not ports:
        problems.append(
            doc.problem(here + ("health",), f"an http or tcp health check needs a port, and {name} declares none")
        )
    for secret in mapping(service.get("secret_files")):
        if secret not in credentials:
            problems.append(
                doc.problem(here + ("secret_files", secret), unknown("secret", secret, credentials), key=True)
            )
    problems += _check_files(doc, here, service, root)
    return problems + _check_statements(doc, here, service)


def _check_statements(doc: YamlDoc, here: TreePath, service: dict[str, Any]) -> list[Problem]:
    """`statements: true` where no PostgreSQL can run: a stub, or an image known to be another server."""
    if service.get("statements") is not True:
        return []
    image = service.get("image")
    kind, description = (
        ("stub", "a stub") if "stub" in service else image_kind(image) if isinstance(image, str) else ("", "")
    )
    if kind in ("", "unknown", POSTGRES):
        return []
    return [
        doc.problem(
            here + ("statements",),
            f"statement statistics are PostgreSQL's (pg_stat_statements), and this service is {description}",
        )
    ]


def _check_files(doc: YamlDoc, here: TreePath, service: dict[str, Any], root: Path) -> list[Problem]:
    found: list[Problem | None] = []
    build = service.get("build")
    if isinstance(build, str):
        found.append(check_path(doc, here + ("build",), build, root, directory=True))
    elif isinstance(build, dict) and isinstance(build.get("context"), str):
        where = here + ("build", "context")
        context_problem = check_path(doc, where, build["context"], root, directory=True)
        found.append(context_problem)
        if context_problem is None:
            context = doc.source_of(where).parent / build["context"]
            dockerfile_problem = check_path(
                doc, here + ("build", "dockerfile"), build.get("dockerfile", "Dockerfile"), root, base=context
            )
            found.append(dockerfile_problem)
            if dockerfile_problem is None and isinstance(build.get("base"), str):
                found.append(
                    _check_base(doc, here + ("build", "base"), build, context / build.get("dockerfile", "Dockerfile"))
                )
    for index, step in enumerate(sequence(service.get("seed"))):
        step = mapping(step)
        if "sql" in step:
            found.append(check_path(doc, here + ("seed", index, "sql"), step["sql"], root))
        for column, generator in mapping(mapping(step.get("rows")).get("columns")).items():
            for kind in ("int", "float"):
                bounds = mapping(mapping(generator).get(kind))
                low, high = bounds.get("min"), bounds.get("max")
                if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
                    found.append(
                        doc.problem(
                            here + ("seed", index, "rows", "columns", column, kind),
                            f"min ({low}) is greater than max ({high})",
                        )
                    )
    stub = mapping(service.get("stub"))
    if "openapi" in stub:
        found.append(check_path(doc, here + ("stub", "openapi"), stub["openapi"], root))
    for index, route in enumerate(sequence(stub.get("routes"))):
        found.append(_shadowed_route(doc, here + ("stub", "routes", index, "path"), mapping(route)))
    return [p for p in found if p is not None]


def _shadowed_route(doc: YamlDoc, where: TreePath, route: dict[str, Any]) -> Problem | None:
    """MockServer answers GET /ready and everything under /mockserver itself, before any
    expectation, so a stub route there would never be served: say so instead."""
    path, method = route.get("path"), str(route.get("method", "")).upper()
    if not isinstance(path, str):
        return None
    if path.rstrip("/") == "/mockserver" or path.startswith("/mockserver/"):
        return doc.problem(
            where,
            f"'{path}' is the stub engine's own API (MockServer answers /mockserver/... "
            "itself); serve the route under another path",
        )
    if path.rstrip("/") == "/ready" and method in ("GET", "HEAD"):
        return doc.problem(
            where,
            "GET /ready is answered by the stub engine itself (MockServer's readiness "
            "probe), so this route would never be served; use another path, e.g. /readyz",
        )
    return None


def _check_cycles(doc: YamlDoc, services: dict[str, Any]) -> list[Problem]:
    graph = {
        name: [d for d in sequence(s.get("depends_on")) if isinstance(d, str) and d in services and d != name]
        for name, s in services.items()
    }
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt) :] + [nxt]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    problems.append(
                        doc.problem(("services", nxt, "depends_on"), "dependency cycle: " + " -> ".join(cycle))
                    )
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    return problems


def _check_failure_mode(doc: YamlDoc, name: str, mode: dict[str, Any], services: dict[str, Any]) -> list[Problem]:
    here = ("failure_modes", name)
    problems: list[Problem] = []
    target = mode.get("target")
    service = services.get(target) if isinstance(target, str) else None
    if isinstance(target, str) and service is None:
        problems.append(doc.problem(here + ("target",), unknown("service", target, services)))
    context = FaultContext(
        doc,
        here,
        mode,
        target if isinstance(target, str) else None,
        service,
        has_ports=service is not None and bool(service_ports(service)),
    )
    for kind in kinds_written(mode):
        problems += kind.refs(context)
    has_ports = {name: bool(service_ports(mapping(spec))) for name, spec in services.items()}
    return problems + check_links(doc, here, mode, services, has_ports)


def _check_base(doc: YamlDoc, where: TreePath, build: dict[str, Any], dockerfile: Path) -> Problem | None:
    """`base` needs a FROM to replace: a final stage that grows from an image, not scratch."""
    from envsim.config.dockerfile import base_problem  # imported here: only a build with `base` reads its Dockerfile

    try:
        text = dockerfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None  # check_path reported it
    args = {str(k): str(v) for k, v in mapping(build.get("args")).items()}
    why = base_problem(text, args)
    return doc.problem(where, f"{why} ({dockerfile.name})") if why else None
