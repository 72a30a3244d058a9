"""Making required images present: use the local one, else pull (failing fast), else build.

Builds come from offline recipes (Debian base, Toxiproxy from Go, MockServer's jar on
Debian's JRE, Debian-package substitutes for official images) or from the user's `build:` specs. Every image envsim
creates carries envsim.managed=true and a cache key, so unchanged inputs mean no rebuild.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from envsim.errors import EnvironmentProblem
from envsim.images import builder, host
from envsim.images.debian_base import build_debian_base, debian_base_key
from envsim.images.progress import ImageProgress, SilentProgress
from envsim.images.recipes import (
    DEBIAN_BASE_IMAGE,
    LABEL_HASH,
    LABEL_MANAGED,
    LABEL_SUBSTITUTE,
    Substitute,
    managed_labels,
    recipe_files,
    recipe_hash,
    substitute_for,
)
from envsim.images.requirements import (
    MOCKSERVER_IMAGE,
    MOCKSERVER_LOCAL_IMAGE,
    MOCKSERVER_VERSION,
    TOXIPROXY_IMAGE,
    TOXIPROXY_LOCAL_IMAGE,
    TOXIPROXY_VERSION,
    ImageRequirement,
    dockerfile_base_images,
)

EXTRA_CA_BUILD_ARG = "ENVSIM_CA_CERTS"  # offered to user builds whose Dockerfile declares it
_NETWORK_FAILURES = ("dial tcp", "no such host", "timeout", "connection refused", "tls handshake",
                     "network is unreachable", "temporary failure in name resolution")


def ensure_images(
    requirements: Iterable[ImageRequirement],
    client,
    progress: ImageProgress | None = None,
    *,
    pull: bool = True,
    pull_timeout: float = 30.0,
) -> dict[str, str]:
    """Make every requirement present; returns requested name -> image id."""
    preparer = _Preparer(client, progress or SilentProgress(), pull, pull_timeout)
    return {req.name: preparer.ensure(req) for req in requirements}


def toxiproxy_image(client) -> str:
    """The Toxiproxy image to run: the official one if present, else envsim's local build."""
    for name in (TOXIPROXY_IMAGE, TOXIPROXY_LOCAL_IMAGE):
        if builder.local_image(client, name) is not None:
            return name
    raise EnvironmentProblem(
        "no Toxiproxy image is present",
        hint="run `envsim images prepare PROFILE` (it pulls or builds one)",
    )


def mockserver_image(client, override: str | None = None) -> str:
    """The MockServer image to run: `override` (ENVSIM_MOCKSERVER_IMAGE) if given, else the
    official one if present, else envsim's local build."""
    candidates = (override,) if override else (MOCKSERVER_IMAGE, MOCKSERVER_LOCAL_IMAGE)
    for name in candidates:
        if builder.local_image(client, name) is not None:
            return name
    raise EnvironmentProblem(
        f"no MockServer image is present ({' or '.join(candidates)})",
        hint="run `envsim images prepare PROFILE` (it pulls or builds one)",
    )


def mockserver_key() -> str:
    """The local MockServer build's cache key: recipe, version, the jar's pinned checksum, base."""
    from envsim.images.mockserver_build import jar_sha1

    return recipe_hash(
        recipe_files("mockserver"), {"MOCKSERVER_VERSION": MOCKSERVER_VERSION},
        {"jar-sha1": jar_sha1(MOCKSERVER_VERSION), "base": debian_base_key()},
    )


class _Preparer:
    def __init__(self, client, progress: ImageProgress, pull: bool, pull_timeout: float):
        self.client = client
        self.progress = progress
        self.pull = pull
        self.pull_timeout = pull_timeout
        self.done: dict[str, str] = {}
        self.unreachable: dict[str, str] = {}  # registry host -> why, so each is tried once

    def ensure(self, requirement: ImageRequirement) -> str:
        if requirement.name not in self.done:
            if requirement.source == "toxiproxy":
                image_id = self._toxiproxy()
            elif requirement.source == "mockserver":
                image_id = self._mockserver()
            elif requirement.source == "balancer":
                image_id = self._recipe_image("balancer", requirement.name)
            elif requirement.source == "build":
                image_id = self._user_build(requirement)
            else:
                image_id = self._named(requirement.name)
            self.done[requirement.name] = image_id
        return self.done[requirement.name]

    # ------------------------------------------------------------------ named images

    def _named(self, name: str) -> str:
        if name in self.done:
            return self.done[name]
        if name == DEBIAN_BASE_IMAGE:  # user Dockerfiles may start FROM envsim's base too
            return self._base()
        present = builder.local_image(self.client, name)
        substitute_stale = False
        if present is not None:
            labels = present.labels or {}
            if labels.get(LABEL_SUBSTITUTE) and labels.get(LABEL_MANAGED) == "true":
                substitute = substitute_for(name)
                if substitute is not None and labels.get(LABEL_HASH) == self._substitute_key(substitute):
                    self.progress.report(name, f"present: Debian substitute, cached ({present.short_id})")
                    return present.id
                substitute_stale = True
                self.progress.report(name, "substitute is out of date; preparing it again")
            else:
                self.progress.report(name, f"present ({present.short_id})")
                return present.id
        pulled, why = self._try_pull(name)
        if pulled is not None:
            return pulled
        substitute = substitute_for(name)  # raises when Debian lacks the version
        if substitute is None:
            raise EnvironmentProblem(
                f"image {name} is not present and cannot be pulled ({why}); envsim has no offline recipe for it",
                hint=f"`docker load` the image on this machine, or give the service a `build:` spec",
            )
        if not substitute_stale:
            self.progress.report(name, "building a substitute from Debian packages (no registry)")
        return self._build_substitute(substitute)

    def _try_pull(self, name: str) -> tuple[str | None, str]:
        if not self.pull:
            return None, "pulling disabled"
        registry = _registry(name)
        if registry in self.unreachable:
            self.progress.report(name, f"not pulling: {registry} did not answer before")
            return None, self.unreachable[registry]
        import docker.errors
        import requests.exceptions

        reference = name if (":" in name.rsplit("/", 1)[-1] or "@" in name) else f"{name}:latest"
        self.progress.report(name, f"pulling from {registry}")
        previous_timeout = self.client.api.timeout
        self.client.api.timeout = self.pull_timeout
        try:
            image = self.client.images.pull(reference)
        except (docker.errors.APIError, requests.exceptions.RequestException) as error:
            why = _short(error)
            if isinstance(error, requests.exceptions.RequestException) or any(
                marker in why.lower() for marker in _NETWORK_FAILURES
            ):
                self.unreachable[registry] = f"{registry} unreachable: {why}"
            self.progress.report(name, f"pull failed: {why}")
            return None, why
        finally:
            self.client.api.timeout = previous_timeout
        self.progress.report(name, f"pulled ({image.short_id})")
        return image.id, ""

    # ------------------------------------------------------------------ recipes

    def _base(self) -> str:
        if DEBIAN_BASE_IMAGE in self.done:
            return self.done[DEBIAN_BASE_IMAGE]
        key = debian_base_key()
        image_id = builder.cached_image_id(self.client, DEBIAN_BASE_IMAGE, key)
        if image_id is None:
            self.progress.report(DEBIAN_BASE_IMAGE, "building the Debian base image")
            image_id = build_debian_base(self.client, key, self.progress)
        else:
            self.progress.report(DEBIAN_BASE_IMAGE, "present (cached)")
        self.done[DEBIAN_BASE_IMAGE] = image_id
        return image_id

    def _substitute_key(self, substitute: Substitute) -> str:
        # The base's key, not its id: a re-import of identical inputs keeps substitutes valid.
        return recipe_hash(
            recipe_files(substitute.recipe), dict(substitute.args), {"base": debian_base_key()}
        )

    def _build_substitute(self, substitute: Substitute) -> str:
        key = self._substitute_key(substitute)
        cached = builder.cached_image_id(self.client, substitute.image, key)
        if cached is not None:
            return cached
        self._base()
        args = {**dict(substitute.args), "ENVSIM_BASE": DEBIAN_BASE_IMAGE}
        with _recipe_context(substitute.recipe) as context:
            return builder.build_image(
                self.client, context, substitute.image, buildargs=args,
                labels=managed_labels(substitute.recipe, key, substitute=True), progress=self.progress,
            )

    def _recipe_image(self, recipe: str, image: str) -> str:
        """An image only envsim makes: built from its recipe on the Debian base, cached by key."""
        key = recipe_hash(recipe_files(recipe), {}, {"base": debian_base_key()})
        cached = builder.cached_image_id(self.client, image, key)
        if cached is not None:
            self.progress.report(image, "present (cached)")
            return cached
        self._base()
        self.progress.report(image, f"building from envsim's {recipe} recipe")
        with _recipe_context(recipe) as context:
            return builder.build_image(
                self.client, context, image, buildargs={"ENVSIM_BASE": DEBIAN_BASE_IMAGE},
                labels=managed_labels(recipe, key), progress=self.progress,
            )

    def _present_or_pulled(self, image: str) -> str | None:
        """The id of the official image when it is here or a registry gives it; None to build."""
        official = builder.local_image(self.client, image)
        if official is not None:
            self.progress.report(image, f"present ({official.short_id})")
            return official.id
        pulled, _ = self._try_pull(image)
        return pulled

    def _toxiproxy(self) -> str:
        ready = self._present_or_pulled(TOXIPROXY_IMAGE)
        if ready is not None:
            return ready
        from envsim.images.toxiproxy_build import toxiproxy_binaries

        key = recipe_hash(recipe_files("toxiproxy"), {"version": TOXIPROXY_VERSION})
        cached = builder.cached_image_id(self.client, TOXIPROXY_LOCAL_IMAGE, key)
        if cached is not None:
            self.progress.report(TOXIPROXY_IMAGE, f"using the local build {TOXIPROXY_LOCAL_IMAGE} (cached)")
            return cached
        binaries_dir = toxiproxy_binaries(self.progress)
        with _recipe_context("toxiproxy") as context:
            for binary in binaries_dir.iterdir():
                shutil.copy2(binary, context / binary.name)
            return builder.build_image(
                self.client, context, TOXIPROXY_LOCAL_IMAGE,
                labels=managed_labels("toxiproxy", key), progress=self.progress,
            )

    def _mockserver(self) -> str:
        ready = self._present_or_pulled(MOCKSERVER_IMAGE)
        if ready is not None:
            return ready
        from envsim.images.mockserver_build import mockserver_jar

        key = mockserver_key()
        cached = builder.cached_image_id(self.client, MOCKSERVER_LOCAL_IMAGE, key)
        if cached is not None:
            self.progress.report(MOCKSERVER_IMAGE, f"using the local build {MOCKSERVER_LOCAL_IMAGE} (cached)")
            return cached
        jar = mockserver_jar(self.progress)
        self._base()
        args = {"MOCKSERVER_VERSION": MOCKSERVER_VERSION, "ENVSIM_BASE": DEBIAN_BASE_IMAGE}
        with _recipe_context("mockserver") as context:
            # World-readable: the image runs MockServer as a non-root user, and COPY keeps the mode.
            copied = context / "mockserver-netty-jar-with-dependencies.jar"
            shutil.copyfile(jar, copied)
            copied.chmod(0o644)
            return builder.build_image(
                self.client, context, MOCKSERVER_LOCAL_IMAGE, buildargs=args,
                labels=managed_labels("mockserver", key), progress=self.progress,
            )

    # ------------------------------------------------------------------ user builds

    def _user_build(self, requirement: ImageRequirement) -> str:
        build = requirement.build
        assert build is not None
        dockerfile = build.context / build.dockerfile
        if not dockerfile.is_file():
            raise EnvironmentProblem(
                f"service {', '.join(requirement.services)}: Dockerfile {dockerfile} does not exist"
            )
        text = dockerfile.read_text(encoding="utf-8", errors="replace")
        args = dict(build.args)
        bases = {base: self._named(base) for base in dockerfile_base_images(text, args)}
        if _declares_arg(text, EXTRA_CA_BUILD_ARG) and EXTRA_CA_BUILD_ARG not in args:
            args[EXTRA_CA_BUILD_ARG] = host.extra_ca_certificates()
        key = recipe_hash(
            {}, args, {"context": builder.context_digest(build.context, build.dockerfile), **bases}
        )
        cached = builder.cached_image_id(self.client, requirement.name, key)
        if cached is not None:
            self.progress.report(requirement.name, "present (context unchanged)")
            return cached
        self.progress.report(requirement.name, f"building from {build.context}")
        service = ",".join(requirement.services)
        return builder.build_image(
            self.client, build.context, requirement.name, dockerfile=build.dockerfile, buildargs=args,
            labels=managed_labels(f"build:{service}", key), progress=self.progress,
        )


class _recipe_context:
    """A temporary directory holding a recipe's files: package data may not be a real directory."""

    def __init__(self, recipe: str):
        self.recipe = recipe

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix=f"envsim-{self.recipe}-"))
        for relative, content in recipe_files(self.recipe).items():
            target = self.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _declares_arg(dockerfile_text: str, name: str) -> bool:
    return any(
        line.split()[:2] == ["ARG", name] or (line.split()[:1] == ["ARG"] and line.split()[1].startswith(f"{name}="))
        for line in (raw.strip() for raw in dockerfile_text.splitlines())
        if len(line.split()) >= 2
    )


def _registry(name: str) -> str:
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _short(error: Exception) -> str:
    text = getattr(error, "explanation", None) or str(error)
    return " ".join(str(text).split())[:200]

