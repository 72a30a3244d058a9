"""The configuration the parent hands to the Locust child, as plain JSON-able data.

Built here (parent side, no Locust import) from the model. Header templates are rendered
with the run's secrets, so the result can hold secret values: it is written only to a 0600
file in a private directory (see load_process) and never printed.
"""

from __future__ import annotations

from typing import Any, Mapping

from envsim.config.model import LoadSpec
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
        headers = {}
        for key, template in task.headers:
            missing = [name for name in template.secrets if name not in secrets]
            if missing:
                raise InputError(f"load task {task.name!r}: header {key} refers to unknown secret {missing[0]!r}")
            headers[key] = template.render(secrets)
        entry = {
            "name": task.name,
            "method": task.method.upper(),
            "path": task.path,
            "weight": task.weight,
            "json": task.json,
            "headers": headers,
            "expect_status": list(task.expect_status),
        }
        if task.timeout is not None:  # else the load's timeout
            entry["timeout"] = task.timeout
        tasks.append(entry)
    return {
        "host": target_url.rstrip("/"),
        "users": load.users,
        "spawn_rate": load.spawn_rate,
        "duration": load.run_length,
        "stages": [[s.duration, s.users, s.spawn_rate] for s in load.stages],
        "wait": [float(load.wait[0]), float(load.wait[1])],
        "tasks": tasks,
        "locustfile": str(load.locustfile) if load.locustfile else None,
        "workers": load.workers,
        "stop_timeout": stop_timeout,
        "timeout": load.timeout,
    }
