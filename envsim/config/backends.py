"""What each backend can realise of a valid profile or run of a valid scenario, checked at
validate time with located problems. Docker realises everything; on Kubernetes per-link faults,
partitions, link and DNS faults and HTTP faults on real services have no counterpart in a
profile, and a run refuses the faults, pinning and rotation it cannot do there
(docs/kubernetes.md)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from envsim.config.fault_kinds import kind_of_effect
from envsim.config.fault_model import FailureMode
from envsim.config.profile_model import Profile
from envsim.config.yamlload import YamlDoc
from envsim.errors import Problem

BACKENDS = ("docker", "kubernetes")

# Failure-mode keys a backend cannot realise, and why. On Kubernetes a link would need the
# client's pods to resolve the target's name to a link proxy of their own: a Service per link
# has another name, and a pod's hostAliases need an address known before the pod is made.
REFUSED: dict[str, dict[str, str]] = {
    "kubernetes": {
        "from": "per-link faults are not supported on Kubernetes (a Service answers every client alike); "
        "drop 'from' to fault every client's traffic, or run this failure mode on Docker",
        "partition": "partitions are not supported on Kubernetes (they act on per-client links); "
        "run this failure mode on Docker",
        # Link and DNS faults are switched by a helper container joining the target container's
        # network namespace on the Docker engine; a pod's namespace is the cluster's.
        "packet_loss": "packet loss is not supported on Kubernetes (a helper in the container's network "
        "namespace switches it on Docker); use Toxiproxy's faults on the target, or run this failure mode on Docker",
        "link_bandwidth": "link bandwidth is not supported on Kubernetes (a helper in the container's network "
        "namespace switches it on Docker); use Toxiproxy's 'bandwidth' on the target, or run this failure mode on Docker",
        "dns": "DNS faults are not supported on Kubernetes (a helper in the container's network namespace "
        "answers for the name on Docker); run this failure mode on Docker",
    },
}
# HTTP faults on a real (non-stub) service live in the HAProxy front envsim puts before it on
# Docker, which the Kubernetes manifests do not render; on a stub they are MockServer's anywhere.
REFUSED_ON_REAL_HTTP: dict[str, str] = {
    "kubernetes": "HTTP faults on a real service are not supported on Kubernetes (they live in the HAProxy "
    "front envsim puts before it on Docker); fault a stub, or run this failure mode on Docker",
}
HTTP_FAULT_KEYS = ("http_errors", "drop", "outage", "delay")


def backend_problems(doc: YamlDoc, backend: str) -> list[Problem]:
    """A located problem for each failure-mode key the backend cannot realise."""
    refused = REFUSED.get(backend, {})
    modes: Any = doc.data.get("failure_modes") if isinstance(doc.data, dict) else None
    if not refused or not isinstance(modes, dict):
        return []
    return [
        doc.problem(("failure_modes", name, key), why, key=True)
        for name, mode in modes.items()
        if isinstance(mode, dict)
        for key, why in refused.items()
        if key in mode
    ] + _real_http_problems(doc, modes, backend)


def _real_http_problems(doc: YamlDoc, modes: dict[str, Any], backend: str) -> list[Problem]:
    """A located problem for each HTTP fault key on a real service, where the backend has no front."""
    why = REFUSED_ON_REAL_HTTP.get(backend)
    services: Any = doc.data.get("services")
    if why is None or not isinstance(services, dict):
        return []
    return [
        doc.problem(("failure_modes", name, key), why, key=True)
        for name, mode in modes.items()
        if isinstance(mode, dict)
        and isinstance(services.get(mode.get("target")), dict)
        and "stub" not in services[mode["target"]]
        for key in HTTP_FAULT_KEYS
        if key in mode
    ]


PAUSE_REFUSED = (
    "`container: pause` is not supported on Kubernetes: the kubelet has no call that freezes a "
    "pod's containers; use `container: stop` (scaled to 0) or `restart`, or run this failure mode on Docker"
)
# Fault kinds a run on Kubernetes cannot apply, and why.
RUN_REFUSED_KINDS = {
    "link": "packet loss and link bandwidth act in the target container's network namespace through a "
    "helper container on the Docker engine; on Kubernetes use Toxiproxy's faults (latency, bandwidth, "
    "down) on the target, or run this failure mode on Docker",
    "dns": "DNS faults act in the target container's network namespace through a helper container on the "
    "Docker engine; run this failure mode on Docker",
}
HTTP_ON_REAL_SERVICE_REFUSED = (
    "HTTP faults on a real service go through the HAProxy front envsim puts before it on Docker, which a "
    "Kubernetes stack does not have; HTTP faults on stubs work on both, or run this failure mode on Docker"
)
CPUS_REFUSED = (
    "pinning the load generator and the stack to cores acts on the Docker engine's containers; on "
    "Kubernetes the stack's pods run where the cluster puts them: drop load.cpus for this run"
)

WORKERS_IN_CONTAINERS_REFUSED = (
    "load workers in containers join the stack's Docker network; on Kubernetes "
    "the workers run as processes on this machine (`local`), on other hosts (`remote`), "
    "or as pods with the master (--load-on cluster)"
)

LOAD_ON_CLUSTER_REFUSED = (
    "the load runs in the cluster only when the stack does: add --on kubernetes, or drop --load-on cluster"
)

LOAD_ON_CLUSTER_WORKERS_REFUSED = (
    "with --load-on cluster the master and its workers run as pods in the stack's namespace; "
    "drop --workers-on (or load.workers_on) for this run"
)


def run_refusal(mode: FailureMode, profile: Profile, backend: str) -> str | None:
    """Why a run on `backend` cannot apply failure mode `mode`, or None when it can."""
    if backend != "kubernetes":
        return None
    stubs = {service.name for service in profile.services if service.stub is not None}
    for effect in mode.effects:
        kind = kind_of_effect(effect).name
        if kind in RUN_REFUSED_KINDS:
            return RUN_REFUSED_KINDS[kind]
        if kind == "container" and getattr(effect, "action", None) == "pause":
            return PAUSE_REFUSED
        if kind == "http" and mode.target not in stubs:
            return HTTP_ON_REAL_SERVICE_REFUSED
    return None


def rotated_file_directory(path: str) -> str | None:
    """The directory a rotating credential's file is mounted by on Kubernetes, or None when that
    directory is too near the root to be replaced whole (`/app`, `/etc`: the image's own files
    there would be hidden). The kubelet refreshes a mounted directory when its Secret changes,
    never a file mounted alone (subPath)."""
    directory = PurePosixPath(path).parent
    return str(directory) if len(directory.parts) >= 3 else None


def rotation_refusal(profile: Profile, backend: str) -> str | None:
    """Why credentials of `profile` cannot rotate during a run on `backend`: on Kubernetes a
    rotating credential's file reaches the running pods through a directory mounted whole from
    the Secret, which needs a directory of its own (two levels deep at least)."""
    if backend != "kubernetes":
        return None
    rotating = {c.name for c in profile.credentials if c.rotates}
    shallow = sorted(
        {
            f"{name} at {path} ({service.name})"
            for service in profile.services
            for name, path in service.secret_files
            if name in rotating and rotated_file_directory(path) is None
        }
    )
    if not shallow:
        return None
    return (
        f"credential {', '.join(shallow)} rotates (ttl) and is mounted as a file in a directory near the root; "
        "on Kubernetes a rotated file reaches the running pods through its whole directory mounted from the "
        "Secret (hiding the image's other files there), so give it a directory of its own at least two levels "
        "deep, such as /run/secrets/NAME, or run this scenario on Docker"
    )


def scenario_backend_problems(doc: YamlDoc, profile: Profile | None, backend: str) -> list[Problem]:
    """A located problem for each thing a run of the scenario cannot do on `backend`."""
    if backend == "docker" or profile is None or not isinstance(doc.data, dict):
        return []
    problems = []
    modes = {mode.name: mode for mode in profile.failure_modes}
    timeline = doc.data.get("timeline")
    for index, entry in enumerate(timeline if isinstance(timeline, list) else []):
        name = entry.get("fault") if isinstance(entry, dict) else None
        why = run_refusal(modes[name], profile, backend) if isinstance(name, str) and name in modes else None
        if why:
            problems.append(doc.problem(("timeline", index, "fault"), f"failure mode {name}: {why}"))
    load = doc.data.get("load")
    if isinstance(load, dict) and load.get("cpus") not in (None, "", []):
        problems.append(doc.problem(("load", "cpus"), CPUS_REFUSED, key=True))
    why = rotation_refusal(profile, backend)
    if why:
        problems.append(doc.problem(("profile",), why))
    return problems
