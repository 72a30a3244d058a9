"""Cross-reference checks of a scenario against its (already loaded) profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envsim.config.check_kinds import kinds_claiming
from envsim.config.check_kinds.kind import ScenarioContext
from envsim.config.generator_cpus import cpu_problem, machine_cpus
from envsim.config.profile_model import Profile
from envsim.config.refs import check_path, mapping, sequence, unknown
from envsim.config.refs_flows import check_flows
from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem
from envsim.units import parse_duration


def task_index(data: dict[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
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


def load_duration(load: dict[str, Any]) -> float | None:
    if "duration" in load:
        return parse_duration(load["duration"])
    stages = [parse_duration(mapping(s).get("duration")) for s in sequence(load.get("stages"))]
    return sum(s for s in stages if s is not None) if stages else None


def scenario_context(doc: YamlDoc, profile: Profile | None) -> ScenarioContext:
    """What checks see of their scenario: its tasks, its timeline's faults, its profile."""
    data = mapping(doc.data)
    load = mapping(data.get("load"))
    names, by_request = task_index(data)
    faults: dict[str, list[dict[str, Any]]] = {}
    for entry in sequence(data.get("timeline")):
        if isinstance(mapping(entry).get("fault"), str):
            faults.setdefault(entry["fault"], []).append(entry)
    return ScenarioContext(
        doc=doc,
        profile=profile,
        task_names=tuple(names),
        by_request={request: tuple(tasks) for request, tasks in by_request.items()},
        declarative="tasks" in load and "locustfile" not in load,
        timeline_faults={fault: tuple(entries) for fault, entries in faults.items()},
    )


def check_scenario_refs(doc: YamlDoc, profile: Profile | None, root: Path) -> list[Problem]:
    data = mapping(doc.data)
    problems = _check_load(doc, mapping(data.get("load")), profile, root)
    problems += _check_timeline(doc, profile)
    context = scenario_context(doc, profile)
    for index, check in enumerate(sequence(data.get("checks"))):
        written = mapping(check)
        for kind in kinds_claiming(written):  # one, unless the schema check found it written wrong
            problems += kind.refs(written, ("checks", index), context)
    reports = mapping(data.get("reports"))
    if isinstance(reports.get("dir"), str):
        target = doc.source_of(("reports", "dir")).parent / reports["dir"]
        from envsim.config.discover import inside

        if not inside(target, root):
            problems.append(doc.problem(("reports", "dir"), f"path '{reports['dir']}' leads outside the repo"))
    return problems


def _check_timeline(doc: YamlDoc, profile: Profile | None) -> list[Problem]:
    problems: list[Problem] = []
    duration = load_duration(mapping(mapping(doc.data).get("load")))
    modes = [m.name for m in profile.failure_modes] if profile is not None else []
    for index, entry in enumerate(sequence(mapping(doc.data).get("timeline"))):
        entry = mapping(entry)
        fault = entry.get("fault")
        if not isinstance(fault, str):
            continue
        if profile is not None and fault not in modes:
            problems.append(
                doc.problem(
                    ("timeline", index, "fault"),
                    unknown("failure mode", fault, modes) + f" (failure_modes of profile '{profile.name}')",
                )
            )
        at = parse_duration(entry.get("at"))
        if at is not None and duration is not None and at >= duration:
            problems.append(
                doc.problem(("timeline", index, "at"), f"starts at {at:g}s, after the load ends ({duration:g}s)")
            )
    return problems


def _check_load(doc: YamlDoc, load: dict[str, Any], profile: Profile | None, root: Path) -> list[Problem]:
    problems: list[Problem] = []
    if "locustfile" in load:
        found = check_path(doc, ("load", "locustfile"), load["locustfile"], root)
        problems += [found] if found else []
    problems += _duplicate_task_names(doc, load)
    problems += check_flows(doc, load, root)
    problems += _generator_cpu_problems(doc, load)
    if "duration" not in load and "stages" not in load:
        problems.append(doc.problem(("load",), "missing required key 'duration' (or give 'stages')", key=True))
    if profile is None:
        return problems
    if "users" not in load and "stages" not in load and profile.load.users is None:
        problems.append(
            doc.problem(
                ("load",), f"missing 'users' (profile '{profile.name}' has no scale.load.users default)", key=True
            )
        )
    return problems + _load_target_problems(doc, load, profile)


def _generator_cpu_problems(doc: YamlDoc, load: dict[str, Any]) -> list[Problem]:
    """`load.cpus` names cores this machine has, and leaves the stack at least one."""
    chosen = tuple(c for c in sequence(load.get("cpus")) if isinstance(c, int) and not isinstance(c, bool))
    problems = []
    for index, core in enumerate(chosen):
        message = cpu_problem(core, chosen, machine_cpus())
        if message and (index == 0 or core not in machine_cpus()):  # "every core" once, on the first
            problems.append(doc.problem(("load", "cpus", index), message))
    return problems


def _duplicate_task_names(doc: YamlDoc, load: dict[str, Any]) -> list[Problem]:
    """Task names (a sequence's steps too) are unique: checks and reports name endpoints by them."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, task in enumerate(sequence(load.get("tasks"))):
        named: list[tuple[TreePath, Any]] = [(("load", "tasks", index, "name"), mapping(task).get("name"))]
        named += [
            (("load", "tasks", index, "steps", number, "name"), mapping(step).get("name"))
            for number, step in enumerate(sequence(mapping(task).get("steps")))
        ]
        for where, name in named:
            if not isinstance(name, str):
                continue
            if name in seen:
                problems.append(doc.problem(where, f"duplicate task name '{name}' (also task {seen[name] + 1})"))
            seen.setdefault(name, index)
    return problems


def _load_target_problems(doc: YamlDoc, load: dict[str, Any], profile: Profile) -> list[Problem]:
    """The load goes to a published port: `target` names one, or some service publishes one."""
    target = load.get("target")
    if not isinstance(target, str):
        if any(s.publish for s in profile.services):
            return []
        message = (
            f"no service of profile '{profile.name}' publishes a port to send load to; "
            "add 'publish' to the service under test"
        )
        return [doc.problem(("load",), message, key=True)]
    service_name, _, port = target.partition(".")
    names = [s.name for s in profile.services]
    if service_name not in names:
        return [doc.problem(("load", "target"), unknown("service", service_name, names))]
    published = [p for p, _ in profile.service(service_name).publish]
    if not published:
        message = f"'{service_name}' publishes no port: add 'publish' to it in the profile"
        return [doc.problem(("load", "target"), message)]
    if port and port not in published:
        return [doc.problem(("load", "target"), unknown("published port", port, published))]
    return []
