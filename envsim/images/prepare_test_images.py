"""`python -m envsim.images.prepare_test_images [REPO]`: the images envsim's own tests run.

The fixed set (Toxiproxy, MockServer and the substitutes the tests start) plus whatever the example
profile profiles/prod-like.yaml needs, once that profile loads.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from envsim.errors import EnvsimError
from envsim.images.progress import PlainProgress
from envsim.images.requirements import BALANCER_IMAGE, MOCKSERVER_IMAGE, TOXIPROXY_IMAGE, ImageRequirement

TEST_IMAGES = (
    ImageRequirement(TOXIPROXY_IMAGE, "toxiproxy"),
    ImageRequirement(MOCKSERVER_IMAGE, "mockserver"),
    ImageRequirement(BALANCER_IMAGE, "balancer"),
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


def main(argv: list[str]) -> int:
    from envsim.engine.docker_engine import connect as docker_client
    from envsim.images.ensure import ensure_images

    repo = Path(argv[0]).resolve() if argv else Path.cwd()
    started = time.monotonic()
    try:
        client = docker_client()
        prepared = ensure_images(test_requirements(repo), client, PlainProgress(sys.stdout))
    except EnvsimError as error:  # test tooling: a plain message, no CLI layer
        print(f"[prepare] error: {error}", file=sys.stderr)
        if getattr(error, "hint", None):
            print(f"[prepare] hint: {error.hint}", file=sys.stderr)
        return error.exit_code
    for name, image_id in prepared.items():
        print(f"  {name:40} {image_id[7:19]}")
    print(f"images ready in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
