"""A merged compose tree -> a ProfileDraft: the services envsim can run, and notes on the rest.

Pure: env_file contents are passed in (`env_file_paths` says which ones are needed). Every
compose key is either converted, or listed as a note above its service and as a warning;
nothing is dropped silently. Paths are rewritten from the compose project's directory to
the directory the profile will be written to.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from envsim.compose import check as C
from envsim.compose.app_hints import AppHints
from envsim.compose.draft import CredentialDraft, EnvsimText, ProfileDraft, ServiceDraft
from envsim.compose.interpolate import parse_dotenv
from envsim.compose.parts import ValueProblem, command_list, image_repository, parse_port, port_name
from envsim.compose.read import ComposeTree
from envsim.compose.secrets import extract_secrets
from envsim.compose.service_parts import RuntimeParts
from envsim.compose.unsupported import SILENT, note, summary
from envsim.config.yamlload import TreePath
from envsim.errors import InputError

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONVERTED = frozenset(
    {
        "image",
        "build",
        "command",
        "entrypoint",
        "environment",
        "env_file",
        "ports",
        "expose",
        "healthcheck",
        "depends_on",
        "deploy",
        "scale",
        "cpus",
        "mem_limit",
        "volumes",
        "secrets",
    }
)


@dataclass(frozen=True)
class ConvertOptions:
    name: str
    project_dir: str  # absolute POSIX path: the directory of the first compose file
    profile_dir: str  # absolute POSIX path: where profiles/NAME.yaml is written
    # build context as compose writes it -> what the app's files say (see build_contexts)
    app_hints: Mapping[str, AppHints] = field(default_factory=dict)


# Well-known server images and the port they listen on, for services that declare none.
IMAGE_PORTS = {
    "postgres": 5432,
    "redis": 6379,
    "mysql": 3306,
    "mariadb": 3306,
    "mongo": 27017,
    "rabbitmq": 5672,
    "memcached": 11211,
    "valkey": 6379,
    "nats": 4222,
}


def service_name(raw: str) -> str:
    name = re.sub(r"[^a-z0-9_-]+", "-", str(raw).lower()).strip("-_")
    return name if name else "service"


def env_file_paths(tree: ComposeTree) -> list[tuple[str, bool]]:
    """The env files the services name, as written (relative to the project), and whether required."""
    paths: list[tuple[str, bool]] = []
    services = tree.doc.data.get("services")
    for spec in services.values() if isinstance(services, dict) else ():
        for item in (spec.get("env_file") or []) if isinstance(spec, dict) else ():
            if isinstance(item, str):
                paths.append((item, True))
            elif isinstance(item, dict) and isinstance(item.get("path"), str):
                paths.append((item["path"], item.get("required", True) is not False))
    return list(dict.fromkeys(paths))


def build_contexts(tree: ComposeTree) -> list[str]:
    """The build contexts the services name, as written (relative to the project)."""
    services = tree.doc.data.get("services")
    contexts = [
        spec["build"].get("context", ".")
        for spec in (services.values() if isinstance(services, dict) else ())
        if isinstance(spec, dict) and isinstance(spec.get("build"), dict)
    ]
    return list(dict.fromkeys(c for c in contexts if isinstance(c, str) and "://" not in c))


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


class _Converter(RuntimeParts):
    def __init__(self, tree: ComposeTree, options: ConvertOptions, env_files: Mapping[str, str | None]):
        self.tree, self.doc, self.options, self.env_files = tree, tree.doc, options, env_files
        self.check = C.Checker(tree.doc)
        self.draft = ProfileDraft(options.name, sources=sorted(tree.doc.sources))
        self.draft.warnings.extend(tree.warnings)
        self.names: dict[str, str] = {}
        self.elsewhere: dict[str, list[str]] = {}
        self.secret_files: dict[str, str] = {}

    # -- helpers -------------------------------------------------------------------------
    def hints_for(self, spec: dict) -> AppHints | None:
        build = spec.get("build")
        return self.options.app_hints.get(build.get("context", ".")) if isinstance(build, dict) else None

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
                self.unsupported(
                    None, (key,), note(key, sorted(data[key]) if isinstance(data[key], dict) else data[key])
                )
        if self.check.problems:
            raise InputError(self.check.problems)
        self.draft.failure_modes = starter_failure_modes(self.draft)
        kept = extract_secrets(self.draft.services, self.elsewhere)
        self.draft.credentials = kept.credentials + self._secret_file_credentials({c.name for c in kept.credentials})
        for message in kept.kept:
            self.unsupported(None, ("services",), message)
        return self.draft

    def _services(self, services: dict) -> None:
        wanted = {
            dep
            for spec in services.values()
            if isinstance(spec, dict)
            for dep in (spec.get("depends_on") or {})
            if isinstance(spec.get("depends_on"), dict)
        }
        for raw in services:
            self.names[raw] = service_name(raw)
        for raw, spec in services.items():
            here = ("services", raw)
            if not self.check.want(here, spec, dict):
                continue
            if spec.get("profiles") and raw not in wanted:
                self.draft.warnings.append(
                    self.doc.problem(
                        here,
                        f"service '{raw}' is not converted: compose starts it "
                        f"only with --profile {summary(spec['profiles'])}",
                    )
                )
                continue
            service = ServiceDraft(self.names[raw])
            if service.name != raw:
                self.draft.warnings.append(
                    self.doc.problem(
                        here,
                        f"service '{raw}' is named '{service.name}' in the "
                        "profile (lowercase letters, digits, '-' and '_')",
                    )
                )
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
            self.check.fail(
                where + ("context",), "a build context from a URL is not supported: clone it and give its directory"
            )
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
        service.set(
            "build", value, f"compose tags it {image}; envsim names it envsim-STACK/{service.name}" if image else ""
        )
        service.has_build = True
        for key, item in build.items():
            if key == "target":
                self.unsupported(
                    service, where + (key,), note("build.target", item, "envsim builds the Dockerfile's last stage")
                )
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
                    self.unsupported(
                        service,
                        where + (key,),
                        note(f"build.args.{key}", "(no value)", "it has no value and the variable is not set"),
                    )
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
            self.draft.warnings.append(
                self.doc.problem(
                    here + ("entrypoint",),
                    "entrypoint: envsim sets the command "
                    "only; the image's own ENTRYPOINT (if it has one) still runs first",
                )
            )
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
            self.unsupported(
                service,
                here + ("environment",),
                f"environment {key} -- not converted: not a name envsim accepts for a variable (letters, digits, '_')",
            )
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
        image_port = IMAGE_PORTS.get(image_repository(spec.get("image")))
        if not ports and image_port is not None:
            # The image EXPOSEs it and other services reach it there; declaring it lets envsim
            # put Toxiproxy in front of it (and fault it).
            ports[port_name(image_port, set())] = image_port
            service.set("ports", ports, "the image's port (compose declares none)")
        elif ports:
            service.set("ports", ports)
        if published:
            comment = "on 127.0.0.1, a free host port"
            if fixed:
                comment += f" (compose: {', '.join(fixed)}; write {{{published[0]}: PORT}} to fix one)"
            service.set("publish", published, comment)
        return ports

    def _secret_file_credentials(self, taken: set[str]) -> list[CredentialDraft]:
        return [
            CredentialDraft(name, "password", f"compose secret '{source}'")
            for name, source in self.secret_files.items()
            if name not in taken
        ]
