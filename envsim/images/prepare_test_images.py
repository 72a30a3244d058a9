"""`python -m envsim.images.prepare_test_images [REPO]`: the images envsim's own tests run.

The fixed set (Toxiproxy, MockServer and the substitutes the tests start) plus whatever the example
profile profiles/prod-like.yaml needs, once that profile loads, and the Locust worker image that
`--workers-on docker` runs (built from this envsim's source).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

from envsim.errors import EnvsimError
from envsim.images.progress import PlainProgress
from envsim.images.requirements import (
    BALANCER_IMAGE,
    MOCKSERVER_IMAGE,
    NETHELPER_IMAGE,
    TOXIPROXY_IMAGE,
    ImageRequirement,
)

TEST_IMAGES = (
    ImageRequirement(TOXIPROXY_IMAGE, "toxiproxy"),
    ImageRequirement(MOCKSERVER_IMAGE, "mockserver"),
    ImageRequirement(BALANCER_IMAGE, "balancer"),
    ImageRequirement(NETHELPER_IMAGE, "nethelper"),
    ImageRequirement("postgres:15", "image"),
    ImageRequirement("redis:7", "image"),
    ImageRequirement("python:3.11-slim", "image"),
)
EXAMPLE_PROFILE = "prod-like"


def test_requirements(repo: Path) -> list[ImageRequirement]:
    requirements = list(TEST_IMAGES)
    profile_file = repo / "profiles" / f"{EXAMPLE_PROFILE}.yaml"
    if not profile_file.is_file():
        return requirements
    try:
        from envsim.config import load_profile, resolve_profile_path
        from envsim.images.requirements import required_images

        profile = load_profile(resolve_profile_path(EXAMPLE_PROFILE, repo), os.environ)
    except (ImportError, EnvsimError) as error:
        print(f"[prepare] {profile_file}: not loadable yet ({error}); preparing the fixed set only", file=sys.stderr)
        return requirements
    names = {r.name for r in requirements}
    return requirements + [r for r in required_images(profile) if r.name not in names]


def _toxiproxy_binaries_beside(client, progress) -> threading.Thread | None:
    """On a cold machine, Toxiproxy's Go build (half a minute) runs while the Debian base is
    debootstrapped and the other images built; its image is made from the cached binaries after.
    Nothing is started when the image is there already or Go is missing (ensure_images says so)."""
    from envsim.images.requirements import TOXIPROXY_LOCAL_IMAGE
    from envsim.images.toxiproxy_build import toxiproxy_binaries

    if (
        client.images.list(name=TOXIPROXY_IMAGE)
        or client.images.list(name=TOXIPROXY_LOCAL_IMAGE)
        or shutil.which("go") is None
    ):
        return None

    def build() -> None:
        try:
            toxiproxy_binaries(progress)
        except EnvsimError:
            pass  # ensure_images tries again and reports it where it belongs

    thread = threading.Thread(target=build, name="envsim-toxiproxy-build", daemon=True)
    thread.start()
    return thread


def main(argv: list[str]) -> int:
    from envsim.engine.docker_engine import connect as docker_client
    from envsim.images.ensure import ensure_images
    from envsim.images.worker_image import ensure_worker_image

    repo = Path(argv[0]).resolve() if argv else Path.cwd()
    started = time.monotonic()
    progress = PlainProgress(sys.stdout)
    requirements = test_requirements(repo)
    try:
        client = docker_client()
        toxiproxy = [r for r in requirements if r.source == "toxiproxy"]
        go_build = _toxiproxy_binaries_beside(client, progress) if toxiproxy else None
        prepared = ensure_images([r for r in requirements if r.source != "toxiproxy"], client, progress)
        if go_build is not None:
            go_build.join()
        prepared.update(ensure_images(toxiproxy, client, progress))
        # the Locust worker of `--workers-on docker`: this envsim and the Locust installed here
        worker = ensure_worker_image(client, progress)
        prepared[worker] = str(client.images.get(worker).id)
    except EnvsimError as error:  # test tooling: a plain message, no CLI layer
        print(f"[prepare] error: {error}", file=sys.stderr)
        hint = getattr(error, "hint", None)
        if hint:
            print(f"[prepare] hint: {hint}", file=sys.stderr)
        return error.exit_code
    for name, image_id in prepared.items():
        print(f"  {name:40} {image_id[7:19]}")
    print(f"images ready in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
