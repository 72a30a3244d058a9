"""Making required images present: use the local one, else pull (failing fast), else build.

Builds come from offline recipes (Debian base, Toxiproxy from Go, MockServer's jar on
Debian's JRE, Debian-package substitutes for official images) or from the user's `build:` specs. Every image envsim
creates carries envsim.managed=true and a cache key, so unchanged inputs mean no rebuild.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from envsim.errors import EnvironmentProblem
from envsim.images import builder, postgres_npm
from envsim.images.debian_base import build_debian_base, debian_base_key
from envsim.images.missing import MissingImage, missing_images_problem
from envsim.images.progress import ImageProgress, SilentProgress
from envsim.images.pulling import Puller
from envsim.images.recipes import (
    DEBIAN_BASE_IMAGE,
    DEBIAN_SUITE,
    LABEL_HASH,
    LABEL_MANAGED,
    LABEL_SUBSTITUTE,
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
)
from envsim.images.user_build import build_user_image, user_build_problem
from envsim.plan.stand_ins import RELEASES, StandIn, debian_base_image

_BASE_IMAGES = {debian_base_image(suite): suite for suite, _ in RELEASES}


def ensure_images(
    requirements: Iterable[ImageRequirement],
    client,
    progress: ImageProgress | None = None,
    *,
    pull: bool = True,
    pull_timeout: float = 30.0,
) -> dict[str, str]:
    """Make every requirement present; returns requested name -> image id.

    First every image is checked (present, pulled, or an offline recipe covers it), and all
    that cannot be had are reported in one EnvironmentProblem before anything is built.
    """
    requirements = list(requirements)
    preparer = _Preparer(client, progress or SilentProgress(), pull, pull_timeout)
    missing = preparer.check(requirements)
    if missing:
        raise missing_images_problem(missing)
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
        recipe_files("mockserver"),
        {"MOCKSERVER_VERSION": MOCKSERVER_VERSION},
        {"jar-sha1": jar_sha1(MOCKSERVER_VERSION), "base": debian_base_key()},
    )


class _Preparer:
    def __init__(self, client, progress: ImageProgress, pull: bool, pull_timeout: float):
        self.client = client
        self.progress = progress
        self.puller = Puller(client, progress, pull, pull_timeout)
        self.done: dict[str, str] = {}
        self.warned: set[str] = set()
        self.runs_as: dict[str, str] = {}  # requested -> the stand-in's own name, where one is used

    def check(self, requirements: list[ImageRequirement]) -> list[MissingImage]:
        """Every plain image that is neither present, nor pullable, nor covered by a recipe;
        and every build whose Dockerfile is missing. Pulls happen here (they are the cheap way)."""
        missing: list[MissingImage] = []
        for requirement in requirements:
            if requirement.source == "build":
                problem = user_build_problem(requirement)
                if problem:
                    missing.append(MissingImage(requirement.name, requirement.services, problem))
            elif requirement.source == "image":
                found = self._available(requirement.name)
                if found is not None:
                    missing.append(MissingImage(requirement.name, requirement.services, *found))
        return missing

    def _available(self, name: str) -> tuple[str, str | None] | None:
        """None when `name` can be had; else (why not, hint). Same order as _named: a pull
        first, so a stand-in is announced only when it will really be used."""
        if name in self.done or name in _BASE_IMAGES or builder.local_image(self.client, name) is not None:
            return None
        if self._stand_in_built(name):
            return None
        pulled, why = self.puller.try_pull(name)
        if pulled is not None:
            self.done[name] = pulled
            return None
        try:
            stand_in = substitute_for(name)
        except EnvironmentProblem as problem:
            return str(problem), problem.hint
        if stand_in is None:
            return (
                f"not present, cannot be pulled ({why}), and envsim has no offline recipe for it",
                "`docker load` the image on this machine, or give the service a `build:` spec",
            )
        self._warn(stand_in)  # before minutes of building: the user may rather stop and fix the pin
        return None

    def _stand_in_built(self, name: str) -> bool:
        """Whether `name`'s stand-in is here under its own name (up to date or not: a recipe
        covers it either way, so no pull is needed to know it can be had)."""
        try:
            substitute = substitute_for(name)
        except EnvironmentProblem:
            return False
        return substitute is not None and builder.local_image(self.client, substitute.image) is not None

    def _warn(self, stand_in: StandIn) -> None:
        warning = stand_in.warning()
        if warning and stand_in.requested not in self.warned:
            self.warned.add(stand_in.requested)
            # the progress line already names the image; the warning need not say it twice
            self.progress.report(stand_in.requested, warning.removeprefix(f"{stand_in.requested}: "))

    def ensure(self, requirement: ImageRequirement) -> str:
        if requirement.name not in self.done:
            if requirement.source == "toxiproxy":
                image_id = self._toxiproxy()
            elif requirement.source == "mockserver":
                image_id = self._mockserver()
            elif requirement.source in ("balancer", "nethelper"):
                image_id = self._recipe_image(requirement.source, requirement.name)
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
        if name in _BASE_IMAGES:  # user Dockerfiles may start FROM envsim's bases too
            return self._base(_BASE_IMAGES[name])
        present = builder.local_image(self.client, name)
        if present is not None and not _made_by_envsim(present):
            self.progress.report(name, f"present ({present.short_id})")
            return present.id
        ready = self._stand_in_here(name, present)
        if ready is not None:
            return ready
        pulled, why = self.puller.try_pull(name)
        if pulled is not None:
            return pulled
        substitute = substitute_for(name)  # raises when Debian lacks the version
        if substitute is None:
            raise EnvironmentProblem(
                f"image {name} is not present and cannot be pulled ({why}); envsim has no offline recipe for it",
                hint="`docker load` the image on this machine, or give the service a `build:` spec",
            )
        self._warn(substitute)
        if present is None:
            self.progress.report(name, f"building the stand-in {substitute.image} from {substitute.describe()}")
        return self._build_substitute(substitute)

    def _stand_in_here(self, name: str, public) -> str | None:
        """The id of `name`'s stand-in when one of today's recipe is here: under its own name,
        or under the public name, where an older envsim tagged it (then tagged with its own
        name too; the public tag is the user's to remove, envsim never deletes it)."""
        try:
            substitute = substitute_for(name)
        except EnvironmentProblem:
            return None  # said where the stand-in is really needed
        if substitute is None:
            return None
        key = self._substitute_key(substitute)
        found = builder.cached_image_id(self.client, substitute.image, key)
        if found is None and public is not None and (public.labels or {}).get(LABEL_HASH) == key:
            repository, tag = substitute.image.rsplit(":", 1)
            public.tag(repository, tag)
            found = public.id
            self.progress.report(
                name, f"an older envsim tagged its stand-in {name}; `docker rmi {name}` frees that public name"
            )
        if found is None:
            if public is not None:
                self.progress.report(name, f"the stand-in is out of date; preparing {substitute.image} again")
            return None
        self._warn(substitute)
        self.progress.report(name, f"present: {substitute.describe()} stand-in {substitute.image} ({found[7:19]})")
        self.runs_as[name] = substitute.image
        return found

    # ------------------------------------------------------------------ recipes

    def _base(self, suite: str = DEBIAN_SUITE) -> str:
        """The Debian base of one release: built (debootstrap) only when something needs it."""
        image = debian_base_image(suite)
        if image in self.done:
            return self.done[image]
        key = debian_base_key(suite)
        image_id = builder.cached_image_id(self.client, image, key)
        if image_id is None:
            self.progress.report(image, f"building the Debian {suite} base image")
            image_id = build_debian_base(self.client, key, self.progress, suite)
        else:
            self.progress.report(image, "present (cached)")
        self.done[image] = image_id
        return image_id

    def _substitute_key(self, substitute: StandIn) -> str:
        # The base's key, not its id: a re-import of identical inputs keeps substitutes valid.
        inputs = {"base": debian_base_key(substitute.suite)}
        if substitute.source == "npm":
            inputs["npm"] = postgres_npm.INTEGRITY[substitute.npm_version or ""]
        return recipe_hash(_stand_in_files(substitute), dict(substitute.args), inputs)

    def _build_substitute(self, substitute: StandIn) -> str:
        key = self._substitute_key(substitute)
        self.runs_as[substitute.requested] = substitute.image
        self._base(substitute.suite)
        args = {**dict(substitute.args), "ENVSIM_BASE": substitute.base_image}
        with _recipe_context(substitute.recipe, _stand_in_files(substitute)) as context:
            if substitute.source == "npm":
                postgres_npm.copy_binaries(substitute.version, context / "native", self.progress, substitute.image)
            return builder.build_image(
                self.client,
                context,
                substitute.image,
                buildargs=args,
                labels=managed_labels(substitute.recipe, key, substitute),
                progress=self.progress,
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
                self.client,
                context,
                image,
                buildargs={"ENVSIM_BASE": DEBIAN_BASE_IMAGE},
                labels=managed_labels(recipe, key),
                progress=self.progress,
            )

    def _present_or_pulled(self, image: str) -> str | None:
        """The id of the official image when it is here or a registry gives it; None to build."""
        official = builder.local_image(self.client, image)
        if official is not None:
            self.progress.report(image, f"present ({official.short_id})")
            return official.id
        pulled, _ = self.puller.try_pull(image)
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
                self.client,
                context,
                TOXIPROXY_LOCAL_IMAGE,
                labels=managed_labels("toxiproxy", key),
                progress=self.progress,
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
                self.client,
                context,
                MOCKSERVER_LOCAL_IMAGE,
                buildargs=args,
                labels=managed_labels("mockserver", key),
                progress=self.progress,
            )

    # ------------------------------------------------------------------ user builds

    def _user_build(self, requirement: ImageRequirement) -> str:
        return build_user_image(self.client, requirement, self._base_for_build, self.progress)

    def _base_for_build(self, name: str) -> tuple[str, str]:
        """A Dockerfile's FROM image made available: its id, and the name to build FROM (a
        stand-in's own name, which the build's copy of the Dockerfile is rewritten to)."""
        image_id = self._named(name)
        return image_id, self.runs_as.get(name, name)


class _recipe_context:
    """A temporary directory holding a recipe's files: package data may not be a real directory."""

    def __init__(self, recipe: str, files: dict[str, bytes] | None = None):
        self.recipe = recipe
        self.files = files if files is not None else recipe_files(recipe)

    def __enter__(self) -> Path:
        self.path = Path(tempfile.mkdtemp(prefix=f"envsim-{self.recipe}-"))
        for relative, content in self.files.items():
            target = self.path / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _made_by_envsim(image) -> bool:
    """A stand-in an older envsim tagged with the public name, not an image of the user's."""
    labels = image.labels or {}
    return bool(labels.get(LABEL_SUBSTITUTE)) and labels.get(LABEL_MANAGED) == "true"


def _stand_in_files(stand_in: StandIn) -> dict[str, bytes]:
    """The npm PostgreSQL recipe shares the Debian one's entrypoint (one official contract)."""
    files = recipe_files(stand_in.recipe)
    if stand_in.source == "npm":
        files["docker-entrypoint.sh"] = recipe_files(stand_in.family.recipe)["docker-entrypoint.sh"]
    return files
