"""A merged compose tree -> a ProfileDraft: the services envsim can run, and notes on the rest.

Pure: env_file contents are passed in (`env_file_paths` says which ones are needed). Every
compose key is either converted, or listed as a note above its service and as a warning;
nothing is dropped silently. Paths are rewritten from the compose project's directory to
the directory the profile will be written to.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any, Mapping

from envsim.compose import check as C
from envsim.compose.draft import CredentialDraft, EnvsimText, ProfileDraft, ServiceDraft
from envsim.compose.interpolate import parse_dotenv
from envsim.compose.parts import (
    ValueProblem, command_list, cpus_value, duration_text, health_from_test, parse_port, parse_volume, port_name,
    seconds, size_text,
)
from envsim.compose.read import ComposeTree
from envsim.compose.secrets import extract_secrets
from envsim.compose.unsupported import SILENT, note, summary
from envsim.config.yamlload import TreePath
from envsim.errors import InputError

INITDB = "/docker-entrypoint-initdb.d/"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONVERTED = frozenset({"image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose",
                        "healthcheck", "depends_on", "deploy", "scale", "cpus", "mem_limit", "volumes", "secrets"})
DEFAULT_START_PERIOD = 60.0


@dataclass(frozen=True)
class ConvertOptions:
    name: str
    project_dir: str  # absolute POSIX path: the directory of the first compose file
    profile_dir: str  # absolute POSIX path: where profiles/NAME.yaml is written


def service_name(raw: str) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", str(raw).lower()).strip("-_")
    return name if name else "service"


def env_file_paths(tree: ComposeTree) -> list[tuple[str, bool]]:
    """The env files the services name, as written (relative to the project), and whether required."""
    paths: list[tuple[str, bool]] = []
    services = tree.doc.data.get("services")
    for spec in (services.values() if isinstance(services, dict) else ()):
        for item in (spec.get("env_file") or []) if isinstance(spec, dict) else ():
            if isinstance(item, str):
                paths.append((item, True))
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                paths.append((item["path"], item.get("required", True) is not False))
    return list(dict.fromkeys(paths))


def convert(tree: ComposeTree, options: ConvertOptions, env_files: Mapping[str, str | None]) -> ProfileDraft:
    """Raises InputError with every problem found in the part of compose that is read."""
    return _Converter(tree, options, env_files).run()


def starter_failure_modes(draft: ProfileDraft) -> list[tuple[str, dict[str, Any]]]:
    """A slow and a down mode for every dependency with a port, a restart for what depends on them."""
    needed = {dep for s in draft.services for dep in (s.get("depends_on") or [])}
    modes: list[tuple[str, dict[str, Any]]] = []
    for service in draft.services:
        if service.name in needed and service.get("ports"):
            modes.append((f"{service.name}-slow", {"target": service.name, "latency": "200ms", "jitter": "50ms"}))
            modes.append((f"{service.name}-down", {"target": service.name, "down": True}))
    for service in draft.services:
        if service.get("depends_on") and service.name not in needed:
            modes.append((f"{service.name}-restart", {"target": service.name, "container": "restart"}))
    return modes


class _Converter:
    def __init__(self, tree: ComposeTree, options: ConvertOptions, env_files: Mapping[str, str | None]):
        self.tree, self.doc, self.options, self.env_files = tree, tree.doc, options, env_files
        self.check = C.Checker(tree.doc)
        self.draft = ProfileDraft(options.name, sources=sorted(tree.doc.sources))
        self.draft.warnings.extend(tree.warnings)
        self.names: dict[str, str] = {}
        self.elsewhere: dict[str, list[str]] = {}
        self.secret_files: dict[str, str] = {}

    # -- helpers -------------------------------------------------------------------------
    def path(self, written: str) -> str:
        """A compose path (relative to the project) as a path relative to the profile."""
        full = written if posixpath.isabs(written) else posixpath.join(self.options.project_dir, written)
        return posixpath.relpath(posixpath.normpath(full), self.options.profile_dir)

    def unsupported(self, service: ServiceDraft | None, where: TreePath, text: str) -> None:
        (service.notes if service else self.draft.notes).append(text)
        self.draft.warnings.append(self.doc.problem(where, text))

    # -- top level -----------------------------------------------------------------------
    def run(self) -> ProfileDraft:
        data = self.doc.data
        self.check.keys((), data, C.TOP_LEVEL_KEYS)
        services = data.get("services")
        if services is None:
            self.check.fail((), "no 'services' in the compose file: nothing to convert")
        elif self.check.want(("services",), services, dict):
            self._services(services)
        for key in ("networks", "configs", "include", "models"):
            if data.get(key):
                self.unsupported(None, (key,), note(key, sorted(data[key]) if isinstance(data[key], dict) else data[key]))
        if self.check.problems:
            raise InputError(self.check.problems)
        self.draft.failure_modes = starter_failure_modes(self.draft)
        kept = extract_secrets(self.draft.services, self.elsewhere)
        self.draft.credentials = kept.credentials + self._secret_file_credentials({c.name for c in kept.credentials})
        for message in kept.kept:
            self.unsupported(None, ("services",), message)
        return self.draft

    def _services(self, services: dict) -> None:
        wanted = {dep for spec in services.values() if isinstance(spec, dict)
                  for dep in (spec.get("depends_on") or {}) if isinstance(spec.get("depends_on"), dict)}
        for raw in services:
            self.names[raw] = service_name(raw)
        for raw, spec in services.items():
            here = ("services", raw)
            if not self.check.want(here, spec, dict):
                continue
            if spec.get("profiles") and raw not in wanted:
                self.draft.warnings.append(self.doc.problem(here, f"service '{raw}' is not converted: compose starts it "
                                                                  f"only with --profile {summary(spec['profiles'])}"))
                continue
            service = ServiceDraft(self.names[raw])
            if service.name != raw:
                self.draft.warnings.append(self.doc.problem(here, f"service '{raw}' is named '{service.name}' in the "
                                                                  "profile (lowercase letters, digits, '-' and '_')"))
            self.check.keys(here, spec, C.SERVICE_KEYS)
            self._service(service, here, spec)
            self.draft.services.append(service)

    def _service(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        self.elsewhere[service.name] = []
        self._source(service, here, spec)
        self._command(service, here, spec)
        self._environment(service, here, spec)
        ports = self._ports(service, here, spec)
        self._health(service, here, spec, ports)
        self._depends(service, here, spec)
        self._scale(service, here, spec)
        self._volumes(service, here, spec)
        self._secrets(service, here, spec)
        for key, value in spec.items():
            if key not in _CONVERTED and key not in SILENT and not key.startswith("x-"):
                self.unsupported(service, here + (key,), note(key, value))

    # -- one service ---------------------------------------------------------------------
    def _source(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        build, image = spec.get("build"), spec.get("image")
        if image is not None and not self.check.want(here + ("image",), image, str):
            return
        if build is None:
            if image is None:
                self.check.fail(here, "a service needs 'image' or 'build'")
            else:
                service.set("image", image)
            return
        where = here + ("build",)
        if not self.check.want(where, build, dict):
            return
        self.check.keys(where, build, C.BUILD_KEYS)
        context = build.get("context", ".")
        if not self.check.want(where + ("context",), context, str):
            return
        if "://" in context or context.startswith("git@"):
            self.check.fail(where + ("context",), "a build context from a URL is not supported: clone it and give its directory")
            return
        if "dockerfile_inline" in build:
            self.check.fail(where + ("dockerfile_inline",), "an inline Dockerfile is not supported: write it to a file")
            return
        value: dict[str, Any] = {"context": self.path(context)}
        if "dockerfile" in build and self.check.want(where + ("dockerfile",), build["dockerfile"], str):
            value["dockerfile"] = build["dockerfile"]
        args = self._build_args(service, where, build.get("args"))
        if args:
            value["args"] = args
        service.set("build", value, f"compose tags it {image}; envsim names it envsim-STACK/{service.name}" if image else "")
        service.has_build = True
        for key, item in build.items():
            if key == "target":
                self.unsupported(service, where + (key,), note("build.target", item, "envsim builds the Dockerfile's last stage"))
            elif key not in ("context", "dockerfile", "args"):
                self.unsupported(service, where + (key,), note(f"build.{key}", item))

    def _build_args(self, service: ServiceDraft, where: TreePath, args: Any) -> dict[str, Any]:
        if args is None:
            return {}
        where = where + ("args",)
        if isinstance(args, list) and self.check.strings(where, args) is not None:
            args = {k: (v if sep else None) for k, sep, v in (str(a).partition("=") for a in args)}
        if not self.check.want(where, args, dict, list):
            return {}
        result: dict[str, Any] = {}
        for key, value in args.items():
            if value is None:
                value = self.tree.variables.get(key)
                if value is None:
                    self.unsupported(service, where + (key,), note(f"build.args.{key}", "(no value)",
                                                                   "it has no value and the variable is not set"))
                    continue
            if self.check.want(where + (key,), value, *C.SCALAR):
                result[key] = value
                self.elsewhere[service.name].append(str(value))
        return result

    def _command(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        words: list[str] = []
        for key in ("entrypoint", "command"):
            value = spec.get(key)
            if value is None:
                continue
            if not self.check.want(here + (key,), value, str, list):
                continue
            try:
                words += command_list(value)
            except ValueProblem as problem:
                self.check.fail(here + (key,), str(problem))
        if not words:
            return
        self.elsewhere[service.name].append(" ".join(words))
        comment = ""
        if spec.get("entrypoint") is not None:
            comment = "entrypoint + command: the image's own ENTRYPOINT, if any, still runs first"
            self.draft.warnings.append(self.doc.problem(here + ("entrypoint",), "entrypoint: envsim sets the command "
                                                        "only; the image's own ENTRYPOINT (if it has one) still runs first"))
        service.set("command", words, comment)

    def _environment(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        env: dict[str, Any] = {}
        for index, item in enumerate(spec.get("env_file") or []):
            written = item if isinstance(item, str) else (item.get("path") if isinstance(item, dict) else None)
            if not isinstance(written, str):
                self.check.fail(here + ("env_file", index), "an env_file is a path or {path: ..., required: ...}")
                continue
            text = self.env_files.get(written)
            if text is None:
                if not (isinstance(item, dict) and item.get("required") is False):
                    self.check.fail(here + ("env_file", index), f"env file not found: '{written}'")
                continue
            values, bad = parse_dotenv(text, self.tree.variables)
            for line in bad:
                self.check.fail(here + ("env_file", index), f"{written}:{line.line}: {line.message}")
            env.update(values)
        environment = spec.get("environment") or {}
        if self.check.want(here + ("environment",), environment, dict):
            for key, value in environment.items():
                if value is None:
                    service.env_comments[key] = "from the caller's environment (no value in compose)"
                    env[key] = EnvsimText(f"${{env.{key}:-}}")
                elif self.check.want(here + ("environment", key), value, *C.SCALAR):
                    env[key] = value
        for key in [k for k in env if not _ENV_NAME.match(k)]:
            self.unsupported(service, here + ("environment",), f"environment {key} -- not converted: not a name envsim "
                                                               "accepts for a variable (letters, digits, '_')")
            del env[key]
        if env:
            service.set("env", env)

    def _ports(self, service: ServiceDraft, here: TreePath, spec: dict) -> dict[str, int]:
        ports: dict[str, int] = {}
        published: list[str] = []
        fixed: list[str] = []
        for key in ("ports", "expose"):
            items = spec.get(key)
            if items is None or not self.check.want(here + (key,), items, list):
                continue
            for index, item in enumerate(items):
                try:
                    specs = parse_port(item)
                except ValueProblem as problem:
                    self.check.fail(here + (key, index), str(problem))
                    continue
                for port in specs:
                    if port.protocol != "tcp":
                        self.unsupported(service, here + (key, index), note(key, port.text, "envsim proxies TCP only"))
                        continue
                    name = next((n for n, number in ports.items() if number == port.container), None)
                    if name is None:
                        name = port_name(port.container, set(ports))
                        ports[name] = port.container
                    if key == "ports" and name not in published:
                        published.append(name)
                        if port.host is not None:
                            fixed.append(port.text)
        if ports:
            service.set("ports", ports)
        if published:
            comment = "on 127.0.0.1, a free host port"
            if fixed:
                comment += f" (compose: {', '.join(fixed)}; write {{{published[0]}: PORT}} to fix one)"
            service.set("publish", published, comment)
        return ports

    def _health(self, service: ServiceDraft, here: TreePath, spec: dict, ports: dict[str, int]) -> None:
        check = spec.get("healthcheck")
        where = here + ("healthcheck",)
        if check is None or not self.check.want(where, check, dict):
            return
        self.check.keys(where, check, C.HEALTH_KEYS)
        if check.get("disable") is True or "test" not in check:
            service.notes.append("healthcheck: disabled in compose -- no health check")
            return
        try:
            result = health_from_test(check["test"], ports)
            interval = seconds(check.get("interval", "30s"))
            timing = {k: seconds(check[k]) for k in ("interval", "timeout") if k in check}
            start = seconds(check.get("start_period", 0))
        except ValueProblem as problem:
            self.check.fail(where, str(problem))
            return
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
            self.draft.warnings.append(self.doc.problem(where + ("test",), "healthcheck: a CMD-SHELL test becomes "
                                                        "[sh, -c, ...]: the image needs a shell"))
        service.set("health", health, result.comment)

    def _depends(self, service: ServiceDraft, here: TreePath, spec: dict) -> None:
        depends = spec.get("depends_on")
        where = here + ("depends_on",)
        if depends is None or not self.check.want(where, depends, dict):
            return
        names: list[str] = []
        for dep, options in depends.items():
            if dep not in self.names:
                self.check.fail(where + (dep,), f"depends on '{dep}', which is not a service{C.did_you_mean(dep, self.names)}")
                continue
            names.append(self.names[dep])
            if options is None or not self.check.want(where + (dep,), options, dict):
                continue
            self.check.keys(where + (dep,), options, C.DEPENDS_KEYS)
            condition = options.get("condition", "service_started")
            if condition not in C.CONDITIONS:
                self.check.fail(where + (dep, "condition"), f"unknown condition '{condition}' (expected one of: "
                                                            f"{', '.join(C.CONDITIONS)})")
            elif condition == "service_completed_successfully":
                self.unsupported(service, where + (dep,), f"depends_on {dep}: service_completed_successfully -- not "
                                 "converted: envsim has no one-shot services; it waits for them to be ready like any other")
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
        limits = (deploy.get("resources") or {}).get("limits") or {} if isinstance(deploy.get("resources"), dict) else {}
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
                self.unsupported(service, where, note("volumes", mount.text, "bind mounts are not supported; the "
                                                      "container has what its image has (build the source into it)"))
            elif mount.kind == "volume":
                self.unsupported(service, where, note("volumes", mount.text, f"named volume '{mount.source}' is not "
                                                      "kept: every `envsim up` starts with fresh data (see seed:)"))
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

    def _secret_file_credentials(self, taken: set[str]) -> list[CredentialDraft]:
        return [CredentialDraft(name, "password", f"compose secret '{source}'")
                for name, source in self.secret_files.items() if name not in taken]
