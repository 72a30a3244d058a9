"""How a converted service runs: health check, dependencies, replicas and limits, volumes
(SQL files mounted into /docker-entrypoint-initdb.d/ become seeds) and secret files.

A mixin of the converter in convert.py, which supplies `check`, `doc`, `draft`, `names`,
`elsewhere`, `secret_files`, `path()` and `unsupported()`.
"""

from __future__ import annotations

import re
from typing import Any

from envsim.compose import check as C
from envsim.compose.app_hints import AppHints
from envsim.compose.draft import ProfileDraft, ServiceDraft
from envsim.compose.parts import (
    ValueProblem,
    cpus_value,
    duration_text,
    health_from_test,
    image_repository,
    parse_volume,
    seconds,
    size_text,
)
from envsim.compose.unsupported import note
from envsim.config.yamlload import TreePath, YamlDoc

INITDB = "/docker-entrypoint-initdb.d/"
DEFAULT_START_PERIOD = 60.0


class RuntimeParts:
    check: C.Checker
    doc: YamlDoc
    draft: ProfileDraft
    names: dict[str, str]
    elsewhere: dict[str, list[str]]
    secret_files: dict[str, str]

    def path(self, written: str) -> str:
        raise NotImplementedError

    def unsupported(self, service: ServiceDraft | None, where: TreePath, text: str) -> None:
        raise NotImplementedError

    def hints_for(self, spec: dict) -> AppHints | None:
        raise NotImplementedError

    def _health(self, service: ServiceDraft, here: TreePath, spec: dict, ports: dict[str, int]) -> None:
        check = spec.get("healthcheck")
        where = here + ("healthcheck",)
        if check is None:
            self._inferred_health(service, spec, ports)
            return
        if not self.check.want(where, check, dict):
            return
        self.check.keys(where, check, C.HEALTH_KEYS)
        if check.get("disable") is True or "test" not in check:
            service.notes.append("healthcheck: disabled in compose -- no health check")
            return
        try:
            result = health_from_test(check["test"], ports)
        except ValueProblem as problem:
            self.check.fail(where + ("test",), str(problem))
            return
        durations: dict[str, float] = {}
        for key in ("interval", "timeout", "start_period"):
            if key in check:
                try:
                    durations[key] = seconds(check[key])
                except ValueProblem as problem:
                    self.check.fail(where + (key,), str(problem))
        if any(key in check and key not in durations for key in ("interval", "timeout", "start_period")):
            return
        interval, start = durations.get("interval", 30.0), durations.get("start_period", 0.0)
        timing = {k: v for k, v in durations.items() if k != "start_period"}
        retries = self.check.integer(where + ("retries",), check.get("retries", 3))
        if result.note:
            service.notes.append(result.note)
        service.health_path = result.http_path
        if result.health is None:
            return
        if "cmd" in result.health:
            self.elsewhere[service.name].append(" ".join(result.health["cmd"]))
        health = dict(result.health)
        health.update({k: duration_text(v) for k, v in timing.items()})
        # envsim's start_period is the whole wait; compose's is start_period + retries x interval.
        budget = max(DEFAULT_START_PERIOD, start + (retries or 0) * interval)
        if budget != DEFAULT_START_PERIOD:
            health["start_period"] = duration_text(budget)
        if result.flagged:
            self.draft.warnings.append(
                self.doc.problem(
                    where + ("test",), "healthcheck: a CMD-SHELL test becomes [sh, -c, ...]: the image needs a shell"
                )
            )
        service.set("health", health, result.comment)

    def _inferred_health(self, service: ServiceDraft, spec: dict, ports: dict[str, int]) -> None:
        """No compose healthcheck: the one the image or the app's own files make plain."""
        repository = image_repository(spec.get("image")) if not service.has_build else ""
        hints = self.hints_for(spec) if service.has_build else None
        if hints is not None:
            service.smoke_paths = list(hints.get_paths)
        if repository == "postgres":
            user = (service.get("env") or {}).get("POSTGRES_USER", "postgres")
            user = user if isinstance(user, str) and "$" not in user else "postgres"
            # over TCP: during initialisation the server listens on its socket only
            health: dict[str, Any] = {"cmd": ["pg_isready", "-h", "127.0.0.1", "-U", user]}
            service.set("health", health, "inferred: the image is PostgreSQL")
        elif repository in ("redis", "valkey"):
            service.set("health", {"cmd": ["redis-cli", "ping"]}, "inferred: the image is Redis")
        elif hints is not None and hints.health_path and ports:
            service.health_path = hints.health_path
            service.set("health", {"http": hints.health_path}, f"inferred: {hints.health_source}")

    def _depends(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        depends = spec.get("depends_on")
        where = here + ("depends_on",)
        if depends is None or not self.check.want(where, depends, dict):
            return
        names: list[str] = []
        for dep, options in depends.items():
            if dep not in self.names:
                self.check.fail(
                    where + (dep,), f"depends on '{dep}', which is not a service{C.did_you_mean(dep, self.names)}"
                )
                continue
            names.append(self.names[dep])
            if options is None or not self.check.want(where + (dep,), options, dict):
                continue
            self.check.keys(where + (dep,), options, C.DEPENDS_KEYS)
            condition = options.get("condition", "service_started")
            if condition not in C.CONDITIONS:
                self.check.fail(
                    where + (dep, "condition"),
                    f"unknown condition '{condition}' (expected one of: {', '.join(C.CONDITIONS)})",
                )
            elif condition == "service_completed_successfully":
                self.unsupported(
                    service,
                    where + (dep,),
                    f"depends_on {dep}: service_completed_successfully -- not "
                    "converted: envsim has no one-shot services; it waits for them to be ready like any other",
                )
        if names:
            service.set("depends_on", names, "started after these are ready (compose conditions: health-gated)")

    def _scale(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        deploy = spec.get("deploy") or {}
        if not self.check.want(here + ("deploy",), deploy, dict):
            return
        replicas = deploy.get("replicas", spec.get("scale"))
        where = here + (("deploy", "replicas") if "replicas" in deploy else ("scale",))
        count = self.check.integer(where, replicas) if replicas is not None else None
        if count is not None and count != 1:
            if 1 <= count <= 64:
                service.set("replicas", count, "one published entry point in front of them")
            else:
                self.unsupported(service, where, note("replicas", count, "envsim runs 1 to 64 replicas"))
        limits = (
            (deploy.get("resources") or {}).get("limits") or {} if isinstance(deploy.get("resources"), dict) else {}
        )
        resources: dict[str, Any] = {}
        try:
            cpus = limits.get("cpus", spec.get("cpus"))
            if cpus is not None:
                resources["cpus"] = cpus_value(cpus)
            memory = limits.get("memory", spec.get("mem_limit"))
            if memory is not None:
                resources["memory"] = size_text(memory)
        except ValueProblem as problem:
            self.check.fail(here + ("deploy", "resources", "limits"), str(problem))
        if resources:
            service.set("resources", resources)
        for key, value in deploy.items():
            if key not in ("replicas", "resources"):
                self.unsupported(service, here + ("deploy", key), note(f"deploy.{key}", value))
        for key, value in (deploy.get("resources") or {}).items() if isinstance(deploy.get("resources"), dict) else ():
            if key != "limits":
                self.unsupported(service, here + ("deploy", "resources", key), note(f"deploy.resources.{key}", value))

    def _volumes(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        volumes = spec.get("volumes")
        if volumes is None or not self.check.want(here + ("volumes",), volumes, list):
            return
        seeds: list[dict[str, str]] = []
        for index, item in enumerate(volumes):
            where = here + ("volumes", index)
            if not self.check.want(where, item, str, dict):
                continue
            mount = parse_volume(item)
            if mount.kind == "bind" and mount.target.startswith(INITDB) and mount.source.endswith(".sql"):
                seeds.append({"sql": self.path(mount.source)})
                service.notes.append(f"volumes: {mount.text} -- seeded instead (seed: sql)")
            elif mount.kind == "bind":
                self.unsupported(
                    service,
                    where,
                    note(
                        "volumes",
                        mount.text,
                        "bind mounts are not supported; the "
                        "container has what its image has (build the source into it)",
                    ),
                )
            elif mount.kind == "volume":
                self.unsupported(
                    service,
                    where,
                    note(
                        "volumes",
                        mount.text,
                        f"named volume '{mount.source}' is not "
                        "kept: every `envsim up` starts with fresh data (see seed:)",
                    ),
                )
            else:
                self.unsupported(service, where, note("volumes", mount.text, f"{mount.kind} volumes are not kept"))
        if seeds:
            service.set("seed", seeds)

    def _secrets(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        secrets = spec.get("secrets")
        if secrets is None or not self.check.want(here + ("secrets",), secrets, list):
            return
        files: dict[str, str] = {}
        for index, item in enumerate(secrets):
            source = item if isinstance(item, str) else item.get("source") if isinstance(item, dict) else None
            if not isinstance(source, str):
                self.check.fail(here + ("secrets", index), "a secret is a name or {source: ..., target: ...}")
                continue
            target = item.get("target", source) if isinstance(item, dict) else source
            target = target if str(target).startswith("/") else f"/run/secrets/{target}"
            name = re.sub(r"[^A-Za-z0-9_-]+", "_", source)
            files[name] = target
            self.secret_files[name] = source
        if files:
            service.set("secret_files", files, "generated values replace compose's secret files")
