"""`envsim images prepare PROFILE`: make every image the profile needs available."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.group("images")
def images() -> None:
    """Make the images a profile needs available, also with no registry (air-gapped)."""


@images.command("prepare")
@click.argument("profile")
@click.option("--no-pull", is_flag=True, help="Do not try registries; use local images or build them.")
def prepare(profile: str, no_pull: bool) -> None:
    """Pull, or build from offline recipes, every image PROFILE needs.

    \b
    Order per image: present locally -> pulled -> built (Debian base by debootstrap,
    Toxiproxy from its Go module, Debian-package substitutes for postgres/redis/python,
    the profile's own build: specs). Unchanged inputs are not rebuilt.
    """
    from envsim.config import load_profile, resolve_profile_path
    from envsim.images import PlainProgress, ensure_images, required_images
    from envsim.engine.docker_engine import connect as docker_client

    loaded = load_profile(resolve_profile_path(profile, Path.cwd()), os.environ)
    requirements = required_images(loaded)
    client = docker_client()
    prepared = ensure_images(requirements, client, PlainProgress(sys.stderr), pull=not no_pull)
    for requirement in requirements:
        image_id = prepared[requirement.name]
        used_by = f"  ({', '.join(requirement.services)})" if requirement.services else ""
        click.echo(f"{requirement.name}  {image_id[:19]}{used_by}")
