"""What compose can say that an envsim profile cannot, and the one-line reason shown for it."""

from __future__ import annotations

import json
from typing import Any

_ISOLATION = "envsim containers run with Docker's default privileges and isolation"
_NAMING = "envsim names containers per stack; services reach each other by their service name"

REASONS: dict[str, str] = {
    "restart": "envsim does not restart containers; a service that exits fails `up` (container faults restart on purpose)",
    "network_mode": "every service joins the stack's own network, behind Toxiproxy",
    "networks": "one network per stack; aliases, static addresses and extra networks are not kept",
    "privileged": _ISOLATION,
    "cap_add": _ISOLATION,
    "cap_drop": _ISOLATION,
    "devices": _ISOLATION,
    "security_opt": _ISOLATION,
    "sysctls": _ISOLATION,
    "ulimits": _ISOLATION,
    "userns_mode": _ISOLATION,
    "pid": _ISOLATION,
    "ipc": _ISOLATION,
    "cgroup": _ISOLATION,
    "container_name": _NAMING,
    "hostname": _NAMING,
    "domainname": _NAMING,
    "links": _NAMING,
    "external_links": "envsim reaches only the services of its own stack",
    "labels": "envsim labels its containers with envsim.* labels of its own",
    "logging": "container logs stay with Docker's default driver",
    "user": "the image's own USER is used",
    "working_dir": "the image's own WORKDIR is used",
    "extra_hosts": "services reach each other by name; other hosts are not added",
    "dns": "the stack's network uses Docker's DNS",
    "configs": "config files are not mounted; build them into the image",
    "extends": "compose `extends` is not followed; merge the files with -f instead",
    "profiles": "compose starts it only with --profile",
    "stop_signal": "envsim stops containers with Docker's defaults",
    "stop_grace_period": "envsim stops containers with Docker's defaults",
    "platform": "images are built and run for this machine's platform",
    "pull_policy": "envsim uses a local image, pulls once, or builds an offline stand-in (`envsim images prepare`)",
    "tmpfs": "no tmpfs mounts",
    "volumes_from": "no volumes are shared between containers",
    "init": "the image's own PID 1 is used",
    "read_only": "the container's filesystem stays writable",
    "shm_size": "Docker's default /dev/shm size is used",
}
DEFAULT_REASON = "no envsim equivalent"

# Compose keys with no runtime effect worth a warning.
SILENT = frozenset({"version"})


def reason(key: str) -> str:
    return REASONS.get(key, DEFAULT_REASON)


def summary(value: Any, limit: int = 60) -> str:
    """A short one-line rendering of a compose value for a comment."""
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, separators=(", ", ": "), default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def note(key: str, value: Any, why: str | None = None) -> str:
    return f"{key}: {summary(value)} -- not converted: {why or reason(key)}"
