"""Containers of Kubernetes pod templates, from a ContainerPlan: env, probes, resources, secret files.

Secret values are never known here. A value that is one credential becomes a `secretKeyRef`
into the stack's credentials Secret; a value that mentions a credential inside other text
(`postgresql://app:${secret.db_password}@db/shop`) gets a helper variable from the Secret and
refers to it with Kubernetes' own `$(NAME)` expansion, so the text stays in the manifest and
the value stays in the Secret.
"""

from __future__ import annotations

import math
from pathlib import PurePosixPath
from typing import Any

from envsim.config.backends import rotated_file_directory
from envsim.config.profile_model import HealthCheck
from envsim.config.template import SecretRef, Template
from envsim.plan.kubernetes_names import port_name, secret_env_name
from envsim.plan.stack import ContainerPlan, PortBinding

CREDENTIALS_SECRET = "envsim-credentials"
CREDENTIALS_VOLUME = "envsim-credentials"
SECRET_DIRECTORY_VOLUME = "envsim-secret-dir"
SECRET_FILE_MODE = 0o444  # read-only for whatever user the service runs as, as on Docker


def secret_key_ref(credential: str) -> dict[str, Any]:
    return {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": credential}}


def _escaped(text: str) -> str:
    # Kubernetes expands $(NAME) in env values; `$$` is its escape for a literal `$`.
    return text.replace("$", "$$")


def env_entries(env: tuple[tuple[str, Template], ...]) -> list[dict[str, Any]]:
    """The container's env; helper variables come first, since `$(NAME)` only sees earlier ones."""
    helpers: dict[str, dict[str, Any]] = {}
    entries: list[dict[str, Any]] = []
    for name, value in env:
        if not value.secrets:
            entries.append({"name": name, "value": _escaped("".join(str(p) for p in value.parts))})
        elif len(value.parts) == 1:
            entries.append({"name": name, "valueFrom": secret_key_ref(value.secrets[0])})
        else:
            for credential in value.secrets:
                helpers.setdefault(
                    credential, {"name": secret_env_name(credential), "valueFrom": secret_key_ref(credential)}
                )
            text = "".join(
                f"$({secret_env_name(p.name)})" if isinstance(p, SecretRef) else _escaped(str(p)) for p in value.parts
            )
            entries.append({"name": name, "value": text})
    return [*helpers.values(), *entries]


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def health_port(check: HealthCheck, ports: tuple[PortBinding, ...]) -> int | None:
    """The container port a tcp/http check targets: its named port, else the first one."""
    by_name = {p.name: p.container_port for p in ports}
    if check.port is not None and check.port in by_name:
        return by_name[check.port]
    return ports[0].container_port if ports else None


def readiness_probe(check: HealthCheck | None, ports: tuple[PortBinding, ...]) -> dict[str, Any] | None:
    """The service's `health` as a readiness probe: same target, interval and per-attempt timeout.
    Its start_period (the total wait) is the Deployment's progress deadline. `running_for` has
    no probe: it is the workload's minReadySeconds."""
    if check is None or check.kind == "running":
        return None
    if check.kind == "cmd":
        action: dict[str, Any] = {"exec": {"command": list(check.command)}}
    else:
        port = health_port(check, ports)
        if port is None:
            return None
        action = (
            {"httpGet": {"path": check.path or "/", "port": port}}
            if check.kind == "http"
            else {"tcpSocket": {"port": port}}
        )
    return {**action, "periodSeconds": _seconds(check.interval), "timeoutSeconds": _seconds(check.timeout)}


def resources(cpus: float | None, memory: int | None) -> dict[str, Any] | None:
    """Docker's limits as limits, and the same as requests (what Kubernetes assumes anyway)."""
    amounts: dict[str, str] = {}
    if cpus:
        amounts["cpu"] = f"{max(1, round(cpus * 1000))}m"
    if memory:
        amounts["memory"] = str(memory)
    return {"limits": dict(amounts), "requests": dict(amounts)} if amounts else None


def container_ports(ports: tuple[PortBinding, ...]) -> list[dict[str, Any]]:
    found = []
    for binding in ports:
        named = port_name(binding.name)
        found.append({**({"name": named} if named else {}), "containerPort": binding.container_port, "protocol": "TCP"})
    return found


def secret_file_layout(
    files: tuple[tuple[str, str], ...], rotating: frozenset[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The container's mounts and the pod's volumes for its secret files.

    A file is mounted with `subPath` at exactly its path, so its directory's other files stay
    visible; but the kubelet never refreshes such a mount. A directory holding a rotating
    credential's file is therefore mounted whole from the Secret (the kubelet swaps its files
    when the Secret changes), with every secret file of that directory in it; what else the
    image has there is hidden, which is why such a directory must be at least two levels deep
    (config.backends.rotated_file_directory)."""
    directories: dict[str, list[tuple[str, str]]] = {}
    mounts: list[dict[str, Any]] = []
    for credential, path in files:
        directory = rotated_file_directory(path)
        if directory is not None and any(rotated_file_directory(p) == directory for c, p in files if c in rotating):
            directories.setdefault(directory, []).append((credential, path))
    in_directories = {path for entries in directories.values() for _, path in entries}
    volumes = [credentials_volume()] if len(in_directories) < len(files) else []
    for credential, path in files:
        if path not in in_directories:
            mounts.append({"name": CREDENTIALS_VOLUME, "mountPath": path, "subPath": credential, "readOnly": True})
    for index, (directory, entries) in enumerate(sorted(directories.items())):
        name = f"{SECRET_DIRECTORY_VOLUME}-{index}"
        mounts.append({"name": name, "mountPath": directory, "readOnly": True})
        items = [{"key": credential, "path": PurePosixPath(path).name} for credential, path in entries]
        volumes.append(
            {
                "name": name,
                "secret": {"secretName": CREDENTIALS_SECRET, "defaultMode": SECRET_FILE_MODE, "items": items},
            }
        )
    return mounts, volumes


def secret_directories(volumes: list[dict[str, Any]]) -> bool:
    """Whether a directory is mounted from the Secret (then the service account token is not:
    its mount under /var/run/secrets cannot be made inside a read-only /run/secrets)."""
    return any(v["name"].startswith(SECRET_DIRECTORY_VOLUME) for v in volumes)


def credentials_volume() -> dict[str, Any]:
    return {"name": CREDENTIALS_VOLUME, "secret": {"secretName": CREDENTIALS_SECRET, "defaultMode": SECRET_FILE_MODE}}


def service_container(
    container: ContainerPlan, name: str, image: str, mounts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The pod's one container for a planned service container (its replica number aside)."""
    spec: dict[str, Any] = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent"}
    if container.command is not None:
        spec["args"] = list(container.command)  # Docker's command is the image's CMD, not its ENTRYPOINT
    optional = {
        "env": env_entries(container.env),
        "ports": container_ports(container.ports),
        "readinessProbe": readiness_probe(container.health, container.ports),
        "resources": resources(container.cpus, container.memory),
        "volumeMounts": mounts,
    }
    spec.update({key: value for key, value in optional.items() if value})
    return spec
