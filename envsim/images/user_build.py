"""Building a service's `build:` spec: its base images first, `base:` swapped in a build copy.

The copy is a Dockerfile outside the context (the Docker SDK sends it along with the
context), so the app's files are never edited and the context hash is unchanged by it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from envsim.config.dockerfile import rewrite_base, rewrite_images
from envsim.errors import EnvironmentProblem
from envsim.images import builder, host
from envsim.images.progress import ImageProgress
from envsim.images.recipes import managed_labels, recipe_hash
from envsim.images.requirements import ImageRequirement, dockerfile_base_images
from envsim.plan.stand_ins import LABEL_BUILT_FROM

EXTRA_CA_BUILD_ARG = "ENVSIM_CA_CERTS"  # offered to user builds whose Dockerfile declares it


def user_build_problem(requirement: ImageRequirement) -> str | None:
    """Why the build cannot start (its Dockerfile is missing), or None."""
    build = requirement.build
    assert build is not None
    dockerfile = build.context / build.dockerfile
    return None if dockerfile.is_file() else f"its Dockerfile {dockerfile} does not exist"


def build_user_image(
    client, requirement: ImageRequirement, ensure_named: Callable[[str], tuple[str, str]], progress: ImageProgress
) -> str:
    """Build (or reuse, when its inputs are unchanged) the image of a `build:` spec.

    `ensure_named` makes a FROM image available: (its id, the name to build FROM), the latter
    a stand-in's own name where one stands in (the Dockerfile's copy is rewritten to it).
    """
    build = requirement.build
    assert build is not None
    problem = user_build_problem(requirement)
    if problem:
        raise EnvironmentProblem(f"service {', '.join(requirement.services)}: {problem}")
    text = (build.context / build.dockerfile).read_text(encoding="utf-8", errors="replace")
    args = dict(build.args)
    if build.base:
        text, replaced = rewrite_base(text, args, build.base)
        progress.report(requirement.name, f"base {build.base} in place of {', '.join(replaced) or 'nothing'}")
    made = {base: ensure_named(base) for base in dockerfile_base_images(text, args)}
    bases = {base: image_id for base, (image_id, _) in made.items()}
    stand_ins = {base: runs_as for base, (_, runs_as) in made.items() if runs_as != base}
    if stand_ins:
        text = rewrite_images(text, args, stand_ins)
        progress.report(requirement.name, "FROM " + ", ".join(f"{b} -> {r}" for b, r in stand_ins.items()))
    if _declares_arg(text, EXTRA_CA_BUILD_ARG) and EXTRA_CA_BUILD_ARG not in args:
        args[EXTRA_CA_BUILD_ARG] = host.extra_ca_certificates()
    # `base` joins the key only when given, so keys of existing builds stay as they were
    swapped = {"base-swap": build.base} if build.base else {}
    context = builder.context_digest(build.context, build.dockerfile)
    key = recipe_hash({}, args, {"context": context, **bases, **swapped})
    cached = builder.cached_image_id(client, requirement.name, key)
    if cached is not None:
        progress.report(requirement.name, "present (context unchanged)")
        return cached
    progress.report(requirement.name, f"building from {build.context}")
    labels = {**managed_labels(f"build:{','.join(requirement.services)}", key), LABEL_BUILT_FROM: ",".join(bases)}
    return _build(client, requirement, text, args, labels, progress, rewritten=bool(build.base or stand_ins))


def _build(
    client,
    requirement: ImageRequirement,
    text: str,
    args: dict[str, str],
    labels: dict[str, str],
    progress: ImageProgress,
    rewritten: bool,
) -> str:
    """docker build of the spec: its own Dockerfile, or a rewritten copy when `base` or a
    stand-in changed its FROM lines."""
    build = requirement.build
    assert build is not None
    if not rewritten:
        return builder.build_image(
            client,
            build.context,
            requirement.name,
            dockerfile=build.dockerfile,
            buildargs=args,
            labels=labels,
            progress=progress,
        )
    copy_dir = Path(tempfile.mkdtemp(prefix="envsim-dockerfile-"))
    try:
        copy = copy_dir / "Dockerfile"
        copy.write_text(text, encoding="utf-8")
        shown_as = (
            f"{build.dockerfile} (with base {build.base})" if build.base else f"{build.dockerfile} (FROM stand-ins)"
        )
        return builder.build_image(
            client,
            build.context,
            requirement.name,
            dockerfile=str(copy),
            buildargs=args,
            labels=labels,
            progress=progress,
            shown_as=shown_as,
        )
    finally:
        shutil.rmtree(copy_dir, ignore_errors=True)


def _declares_arg(dockerfile_text: str, name: str) -> bool:
    return any(
        line.split()[:2] == ["ARG", name] or (line.split()[:1] == ["ARG"] and line.split()[1].startswith(f"{name}="))
        for line in (raw.strip() for raw in dockerfile_text.splitlines())
        if len(line.split()) >= 2
    )
