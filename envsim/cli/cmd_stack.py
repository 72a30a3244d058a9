"""`envsim up`, `status` and `down`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from envsim.errors import InputError


def load_profile_arg(arg: str):
    from envsim.config import load_profile, resolve_profile_path

    return load_profile(resolve_profile_path(arg, Path.cwd()), dict(os.environ))


def bring_up(profile, stack_name, *, keep: bool, pull: bool, cancel, final_phase=None):
    """Plan, prepare images and apply; shared by `up` and `run`."""
    from envsim.cli.console import ConsoleProgress
    from envsim.engine.apply import apply_stack, check_startable
    from envsim.engine.docker_engine import connect
    from envsim.engine.state import PHASE_UP
    from envsim.engine.teardown import reap_abandoned
    from envsim.images import ensure_stack_images
    from envsim.plan.stack import plan_stack

    env = dict(os.environ)
    plan = plan_stack(profile, stack_name)
    check_startable(plan)
    client = connect()
    progress = ConsoleProgress()
    reap_abandoned(client, env, lambda message: progress.step("reaper", message))
    image_ids = ensure_stack_images(
        client, profile, plan, pull=pull, progress=progress, toxiproxy_image=env.get("ENVSIM_TOXIPROXY_IMAGE")
    )
    handle = apply_stack(
        client, plan, image_ids, env, progress=progress, cancel=cancel, keep=keep, final_phase=final_phase or PHASE_UP
    )
    return client, handle


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
    from envsim.cli.signals import interruptible
    from envsim.engine.status import stack_status

    loaded = load_profile_arg(profile)
    with interruptible() as cancel:
        client, handle = bring_up(loaded, stack_name, keep=keep, pull=not no_pull, cancel=cancel)
    status = stack_status(client, handle.plan.stack)
    click.echo(f"stack {handle.plan.stack} is up")
    for line in status.endpoint_lines():
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
    from envsim.engine.docker_engine import connect, stacks_in_engine
    from envsim.engine.status import stack_status

    client = connect()
    if stack_name or profile:
        stacks = [stack_name or _stack_name_for(profile)]
    else:
        stacks = stacks_in_engine(client)
    statuses = [stack_status(client, stack) for stack in stacks]
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in statuses], indent=2, sort_keys=True))
        return
    if not statuses:
        click.echo("no envsim stacks on this engine")
    for item in statuses:
        click.echo(item.to_text())


def _stack_name_for(profile: str) -> str:
    """A profile's stack name; a bare name that is not a profile file is taken as a stack name."""
    from envsim.plan.stack import safe_name

    try:
        return safe_name(load_profile_arg(profile).name)
    except InputError:
        if "/" in profile or profile.endswith((".yaml", ".yml")):
            raise
        return safe_name(profile)


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
    from envsim.engine.docker_engine import connect, stacks_in_engine
    from envsim.engine.teardown import reap_abandoned, remove_stack, remove_stack_images

    if not (profile or stack_name or all_stacks):
        raise click.UsageError("name a PROFILE, or --name STACK, or --all")
    env = dict(os.environ)
    client = connect()
    if all_stacks:
        stacks = stacks_in_engine(client)
    else:
        stacks = [stack_name or _stack_name_for(profile)]
        reap_abandoned(client, env, lambda message: click.echo(message, err=True))
    for stack in stacks:
        counts = remove_stack(client, stack, env)
        images = f", {remove_stack_images(client, stack)} images" if remove_images else ""
        click.echo(f"stack {stack} removed ({counts.describe()}{images})")
    if not stacks:
        click.echo("no envsim stacks on this engine")
