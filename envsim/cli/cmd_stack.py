"""`envsim up`, `status` and `down`."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("profile")
@click.option("--name", "stack_name", help="Stack name (default: the profile's name); run several side by side.")
@click.option("--keep", is_flag=True, help="Keep what was started when start-up fails (for debugging).")
@click.option("--no-pull", is_flag=True, help="Never try a registry; use local images or offline builds.")
def up(profile: str, stack_name: str | None, keep: bool, no_pull: bool) -> None:
    """Build and start PROFILE's stack on the local Docker engine, health-gated.

    Toxiproxy is put in front of every service with ports; services start by dependency
    level, each waiting for its health check. Running it again converges: unchanged
    containers are kept, changed ones replaced.

    \b
    Examples:
      envsim up prod-like
      envsim up prod-like --name pr-123
    """
    from envsim import api
    from envsim.cli.console import ConsoleProgress
    from envsim.cli.signals import interruptible

    with interruptible() as cancel:
        stack = api.up(profile, stack_name, keep=True, keep_on_failure=keep, pull=not no_pull,
                       progress=ConsoleProgress(), cancel=cancel)
    click.echo(f"stack {stack.name} is up")
    for line in stack.status().endpoint_lines():
        click.echo(f"  {line}")


@click.command()
@click.argument("profile", required=False)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(profile: str | None, stack_name: str | None, as_json: bool) -> None:
    """Show stacks: services and their state, endpoints, proxies and active faults.

    \b
    Examples:
      envsim status               every stack on this engine
      envsim status prod-like --json
    """
    from envsim import api

    stacks = [stack_name or api.stack_name_for(profile)] if (stack_name or profile) else api.stacks()
    statuses = [api.status(stack) for stack in stacks]
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in statuses], indent=2, sort_keys=True))
        return
    if not statuses:
        click.echo("no envsim stacks on this engine")
    for item in statuses:
        click.echo(item.to_text())


@click.command()
@click.argument("profile", required=False)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
@click.option("--all", "all_stacks", is_flag=True, help="Remove every envsim stack on this engine.")
@click.option("--images", "remove_images", is_flag=True, help="Also remove the images built for the stack's services.")
def down(profile: str | None, stack_name: str | None, all_stacks: bool, remove_images: bool) -> None:
    """Remove every container, network and volume envsim created for a stack.

    Only resources labeled by envsim are touched. Idempotent: removing a stack that is
    not there succeeds.

    \b
    Examples:
      envsim down prod-like
      envsim down prod-like --images
      envsim down --all
    """
    from envsim import api

    if not (profile or stack_name or all_stacks):
        raise click.UsageError("name a PROFILE, or --name STACK, or --all")
    stacks = api.stacks() if all_stacks else [stack_name or api.stack_name_for(profile)]
    for stack in stacks:
        counts, image_count = api.down(stack, images=remove_images, reap=not all_stacks,
                                       on_reap=lambda message: click.echo(message, err=True))
        images = f", {image_count} images" if remove_images else ""
        click.echo(f"stack {stack} removed ({counts.describe()}{images})")
    if not stacks:
        click.echo("no envsim stacks on this engine")
