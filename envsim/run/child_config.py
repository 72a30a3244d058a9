"""The configuration the parent hands to the Locust child, as plain JSON-able data.

Built here (parent side, no Locust import) from the model. Header templates are rendered
with the run's secrets, so the result can hold secret values: it is written only to a 0600
file in a private directory (see child_processes) and never printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envsim.config.scenario_model import LoadSpec, LoadTask, LoadVar
from envsim.config.template import Template, VarRef
from envsim.errors import InputError

DEFAULT_STOP_TIMEOUT = 2.0  # seconds a user may take to finish its current task at the end


def child_config(
    load: LoadSpec,
    target_url: str,
    secrets: Mapping[str, str],
    *,
    stop_timeout: float = DEFAULT_STOP_TIMEOUT,
) -> dict[str, Any]:
    tasks = []
    for task in load.tasks:
        if task.steps:
            tasks.append(
                {
                    "name": task.name,
                    "weight": task.weight,
                    "vars": _vars(task.vars),
                    "steps": [_request(step, secrets) for step in task.steps],
                }
            )
        else:
            tasks.append(_request(task, secrets))
    return {
        "host": target_url.rstrip("/"),
        "users": load.users,
        "spawn_rate": load.spawn_rate,
        "duration": load.run_length,
        "stages": [[s.duration, s.users, s.spawn_rate] for s in load.stages],
        "wait": [float(load.wait[0]), float(load.wait[1])],
        "user_rate": load.user_rate,  # task runs per second per user; None: `wait` apart
        "tasks": tasks,
        "locustfile": str(load.locustfile) if load.locustfile else None,
        "workers": load.workers,
        "workers_on": load.workers_on,
        "master_bind": load.master_bind,
        "master_port": load.master_port,
        "join_timeout": load.join_timeout,
        "cpus": list(load.cpus),
        "stop_timeout": stop_timeout,
        "timeout": load.timeout,
        "vars": _vars(load.vars),
    }


def _request(task: LoadTask, secrets: Mapping[str, str]) -> dict[str, Any]:
    """One request; text using load variables is a list of parts: strings and {"var": NAME}."""
    headers = {}
    for key, template in task.headers:
        missing = [name for name in template.secrets if name not in secrets]
        if missing:
            raise InputError(f"load task {task.name!r}: header {key} refers to unknown secret {missing[0]!r}")
        headers[key] = template.render(secrets) if not template.vars else _parts(template, secrets)
    entry = {
        "name": task.name,
        "method": task.method.upper(),
        "path": task.path if task.path_template is None else _parts(task.path_template, secrets),
        "weight": task.weight,
        "json": task.json,
        "headers": headers,
        "expect_status": list(task.expect_status),
    }
    if task.timeout is not None:  # else the load's timeout
        entry["timeout"] = task.timeout
    if task.json_templates:
        entry["json_templates"] = [[list(where), _parts(t, secrets)] for where, t in task.json_templates]
    if task.vars:
        entry["vars"] = _vars(task.vars)
    if task.capture:
        entry["capture"] = [list(pair) for pair in task.capture]
    return entry


def _parts(template: Template, secrets: Mapping[str, str]) -> list[Any]:
    return [{"var": p.name} if isinstance(p, VarRef) else p for p in template.with_secrets(secrets)]


def _vars(variables: tuple[LoadVar, ...]) -> list[dict[str, Any]]:
    out = []
    for var in variables:
        args: Any = [list(var.args[0]), [list(row) for row in var.args[1]]] if var.kind == "csv" else list(var.args)
        out.append({"name": var.name, "kind": var.kind, "args": args})
    return out
