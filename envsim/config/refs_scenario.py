"""Cross-reference checks of a scenario against its (already loaded) profile."""

from __future__ import annotations

from pathlib import Path

from envsim.config.expr import ExprError, parse as parse_expression
from envsim.config.model import REDIS_READ_COMMANDS, Profile
from envsim.config.refs_flows import check_flows
from envsim.config.refs import check_path, mapping, percent_out_of_range, sequence, unknown
from envsim.config.yamlload import YamlDoc, format_path
from envsim.errors import Problem
from envsim.units import parse_duration



def task_index(data: dict) -> tuple[list[str], dict[str, list[str]]]:
    """Declared task names (a sequence's step names in its place), and request text
    ("GET /products") -> names of the tasks sending it."""
    names: list[str] = []
    by_request: dict[str, list[str]] = {}
    for task in sequence(mapping(data.get("load")).get("tasks")):
        task = mapping(task)
        for step in sequence(task.get("steps")) if "steps" in task else [task]:  # a sequence: its steps' names
            step = mapping(step)
            if isinstance(step.get("name"), str):
                names.append(step["name"])
                if isinstance(step.get("request"), str):
                    by_request.setdefault(" ".join(step["request"].split()), []).append(step["name"])
    return names, by_request


def resolve_endpoint(endpoint: str, names: list[str], by_request: dict[str, list[str]]) -> str | None:
    if endpoint in names:
        return endpoint
    matches = by_request.get(" ".join(endpoint.split()), [])
    return matches[0] if len(matches) == 1 else None


def load_duration(load: dict) -> float | None:
    if "duration" in load:
        return parse_duration(load["duration"])
    stages = [parse_duration(mapping(s).get("duration")) for s in sequence(load.get("stages"))]
    return sum(s for s in stages if s is not None) if stages else None


def check_scenario_refs(doc: YamlDoc, profile: Profile | None, root: Path) -> list[Problem]:
    data = mapping(doc.data)
    load = mapping(data.get("load"))
    problems: list[Problem] = []
    problems += _check_load(doc, load, profile, root)
    names, by_request = task_index(data)
    declarative = "tasks" in load and "locustfile" not in load
    timeline_faults: dict[str, list[dict]] = {}
    duration = load_duration(load)
    for index, entry in enumerate(sequence(data.get("timeline"))):
        entry = mapping(entry)
        fault = entry.get("fault")
        if not isinstance(fault, str):
            continue
        timeline_faults.setdefault(fault, []).append(entry)
        if profile is not None and fault not in {m.name for m in profile.failure_modes}:
            problems.append(doc.problem(("timeline", index, "fault"), unknown("failure mode", fault, [m.name for m in profile.failure_modes])
                                        + f" (failure_modes of profile '{profile.name}')"))
        at = parse_duration(entry.get("at"))
        if at is not None and duration is not None and at >= duration:
            problems.append(doc.problem(("timeline", index, "at"), f"starts at {at:g}s, after the load ends ({duration:g}s)"))
    for index, check in enumerate(sequence(data.get("checks"))):
        problems += _check_check(doc, index, mapping(check), profile, names, by_request, declarative, timeline_faults)
    reports = mapping(data.get("reports"))
    if isinstance(reports.get("dir"), str):
        target = doc.source_of(("reports", "dir")).parent / reports["dir"]
        from envsim.config.discover import inside

        if not inside(target, root):
            problems.append(doc.problem(("reports", "dir"), f"path '{reports['dir']}' leads outside the repo"))
    return problems


def _check_load(doc: YamlDoc, load: dict, profile: Profile | None, root: Path) -> list[Problem]:
    problems: list[Problem] = []
    if "locustfile" in load:
        found = check_path(doc, ("load", "locustfile"), load["locustfile"], root)
        problems += [found] if found else []
    seen: dict[str, int] = {}
    for index, task in enumerate(sequence(load.get("tasks"))):
        name = mapping(task).get("name")
        if isinstance(name, str):
            if name in seen:
                problems.append(doc.problem(("load", "tasks", index, "name"), f"duplicate task name '{name}' (also task {seen[name] + 1})"))
            seen.setdefault(name, index)
        for number, step in enumerate(sequence(mapping(task).get("steps"))):
            name = mapping(step).get("name")
            if isinstance(name, str):
                if name in seen:
                    problems.append(doc.problem(("load", "tasks", index, "steps", number, "name"),
                                                f"duplicate task name '{name}' (also task {seen[name] + 1})"))
                seen.setdefault(name, index)
    problems += check_flows(doc, load, root)
    if "duration" not in load and "stages" not in load:
        problems.append(doc.problem(("load",), "missing required key 'duration' (or give 'stages')", key=True))
    if profile is None:
        return problems
    if "users" not in load and "stages" not in load and profile.load.users is None:
        problems.append(doc.problem(("load",), f"missing 'users' (profile '{profile.name}' has no scale.load.users default)", key=True))
    target = load.get("target")
    if isinstance(target, str):
        service_name, _, port = target.partition(".")
        names = [s.name for s in profile.services]
        if service_name not in names:
            problems.append(doc.problem(("load", "target"), unknown("service", service_name, names)))
        else:
            service = profile.service(service_name)
            published = [p for p, _ in service.publish]
            if not published:
                problems.append(doc.problem(("load", "target"), f"'{service_name}' publishes no port: add 'publish' to it in the profile"))
            elif port and port not in published:
                problems.append(doc.problem(("load", "target"), unknown("published port", port, published)))
    elif not any(s.publish for s in profile.services):
        problems.append(doc.problem(("load",), f"no service of profile '{profile.name}' publishes a port to send load to; "
                                               "add 'publish' to the service under test", key=True))
    return problems


def _check_check(doc: YamlDoc, index: int, check: dict, profile: Profile | None, names: list[str],
                 by_request: dict[str, list[str]], declarative: bool, timeline_faults: dict[str, list[dict]]) -> list[Problem]:
    here = ("checks", index)
    problems: list[Problem] = []
    endpoint = check.get("endpoint")
    if isinstance(endpoint, str) and declarative and resolve_endpoint(endpoint, names, by_request) is None:
        several = by_request.get(" ".join(endpoint.split()), [])
        if len(several) > 1:
            problems.append(doc.problem(here + ("endpoint",), f"'{endpoint}' is sent by several tasks ({', '.join(several)}); name one"))
        else:
            problems.append(doc.problem(here + ("endpoint",), unknown("task", endpoint, [*names, *by_request])))
    for key in ("during", "after"):
        fault = check.get(key)
        if isinstance(fault, str) and fault not in timeline_faults:
            problems.append(doc.problem(here + (key,), unknown("fault", fault, timeline_faults) + " (not in the timeline)"))
    if check.get("metric") == "recovery_time":
        for comparator in ("above", "at_least", "equals"):
            if comparator in check:
                problems.append(doc.problem(here + (comparator,), "recovery_time takes 'below' or 'at_most'", key=True))
        fault = check.get("after")
        if isinstance(fault, str) and any("for" not in entry for entry in timeline_faults.get(fault, [])):
            problems.append(doc.problem(here + ("after",), f"recovery is measured after a fault ends, but '{fault}' "
                                                           "has no 'for' in the timeline"))
    if check.get("metric") == "error_rate":
        for comparator in ("below", "above", "at_most", "at_least", "equals"):
            if percent_out_of_range(check.get(comparator)):
                problems.append(doc.problem(here + (comparator,), "must be between 0% and 100%"))
    problems += _check_result_check(doc, here, check, profile)
    stub = mapping(check.get("stub"))
    if profile is not None and isinstance(stub.get("service"), str):
        services = [s.name for s in profile.services]
        if stub["service"] not in services:
            problems.append(doc.problem(here + ("stub", "service"), unknown("service", stub["service"], services)))
        elif profile.service(stub["service"]).stub is None:
            problems.append(doc.problem(here + ("stub", "service"),
                                        f"'{stub['service']}' is not a stub: stub checks read the request journal "
                                        "of a service the profile declares with `stub:`"))
    for kind in ("sql", "http", "redis", "exec"):
        spec = mapping(check.get(kind))
        service = spec.get("service")
        if profile is None or not isinstance(service, str):
            continue
        services = [s.name for s in profile.services]
        if service not in services:
            problems.append(doc.problem(here + (kind, "service"), unknown("service", service, services)))
        elif kind == "http" and isinstance(spec.get("port"), str):
            ports = [p for p, _ in profile.service(service).ports]
            if spec["port"] not in ports:
                problems.append(doc.problem(here + (kind, "port"), unknown("port", spec["port"], ports)))
        elif kind != "http":
            from envsim.config.service_kind import misfit

            why = misfit(kind, profile.service(service))
            if why:
                problems.append(doc.problem(here + (kind, "service"), why))
    for comparator in ("below", "above", "at_most", "at_least", "equals"):
        counted = mapping(check.get(comparator)) if {"sql", "redis", "exec", "stub"} & set(check) else {}
        for what, task in counted.items():
            if isinstance(task, str) and declarative and resolve_endpoint(task, names, by_request) is None:
                problems.append(doc.problem(here + (comparator, what), unknown("task", task, [*names, *by_request])))
    return problems


def _check_result_check(doc: YamlDoc, here: tuple, check: dict, profile: Profile | None) -> list[Problem]:
    """The parts of http/redis/exec checks the schema cannot see: the expression, the command."""
    problems: list[Problem] = []
    expect = check.get("expect")
    if "http" in check and isinstance(expect, str):
        try:
            parse_expression(expect)
        except ExprError as error:
            problems.append(expression_problem(doc, here + ("expect",), expect, error))
    command = sequence(mapping(check.get("redis")).get("command"))
    if command and isinstance(command[0], str) and command[0].upper() not in REDIS_READ_COMMANDS:
        problems.append(doc.problem(here + ("redis", "command", 0), unknown("read command", command[0], REDIS_READ_COMMANDS)
                                    + " (redis checks only read)"))
    if "exec" in check:
        given = [c for c in ("below", "above", "at_most", "at_least", "equals") if c in check]
        if len(given) > 1:
            problems.append(doc.problem(here + (given[1],), f"one comparator per check ({', '.join(given)} given)", key=True))
    return problems


def expression_problem(doc: YamlDoc, where: tuple, text: str, error: ExprError) -> Problem:
    """The expression's mistake, located at its character in the file when the value is on one line."""
    mark = doc.mark(where)
    col = mark.col
    try:
        line = doc.sources.get(mark.file, doc.path).read_text(encoding="utf-8").splitlines()[mark.line - 1]
        start = mark.col - 1
        quoted = line[start:start + 1] in ("'", '"')
        body = line[start + 1:] if quoted else line[start:]
        if body.startswith(text[:error.offset]) and "\\" not in text and "''" not in text:
            col = mark.col + (1 if quoted else 0) + error.offset
    except (OSError, IndexError):
        pass
    return Problem(mark.file, mark.line, col, format_path(where), f"{error.message} (in '{text}')")
