"""`envsim fault apply|clear|list`: ad-hoc faults from a profile's failure_modes."""

from __future__ import annotations

import os

import click

from envsim.errors import InputError

_PROFILE_HELP = "The stack's profile (default: the profile of the only running stack)."


def _attach(profile_arg: str | None, stack_name: str | None):
    from envsim.cli.cmd_stack import load_profile_arg
    from envsim.engine.attach import attach_stack
    from envsim.engine.docker_engine import connect, stack_profile, stacks_in_engine
    from envsim.engine.fault_switch import StackFaults
    from envsim.plan.faults import plan_faults
    from envsim.plan.stack import plan_stack

    client = connect()
    if profile_arg is None:
        stacks = [stack_name] if stack_name else stacks_in_engine(client)
        if len(stacks) != 1:
            raise InputError(
                "name the profile with --profile: "
                + (f"{len(stacks)} stacks are running ({', '.join(stacks)})" if stacks else "no stack is running")
            )
        profile_arg = stack_profile(client, stacks[0]) or stacks[0]
    profile = load_profile_arg(profile_arg)
    plan = plan_stack(profile, stack_name)
    handle = attach_stack(client, plan, dict(os.environ))
    faults = {f.name: f for f in plan_faults(plan, profile)}
    return StackFaults(client, faults, handle.toxiproxy_urls), faults


@click.group()
def fault() -> None:
    """Apply or clear a failure mode of a running stack, by name.

    \b
    Examples:
      envsim fault list
      envsim fault apply db-slow
      envsim fault clear db-slow
      envsim fault clear            clear every fault
    """


@fault.command("apply")
@click.argument("name")
@click.option("-p", "--profile", "profile_arg", help=_PROFILE_HELP)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
def apply_fault(name: str, profile_arg: str | None, stack_name: str | None) -> None:
    """Apply the failure mode NAME until it is cleared."""
    switch, faults = _attach(profile_arg, stack_name)
    switch.apply(name)
    click.echo(f"fault {name} applied: {faults[name].describe()}")


@fault.command("clear")
@click.argument("name", required=False)
@click.option("-p", "--profile", "profile_arg", help=_PROFILE_HELP)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
def clear_fault(name: str | None, profile_arg: str | None, stack_name: str | None) -> None:
    """Clear the failure mode NAME, or every fault when no NAME is given."""
    switch, _ = _attach(profile_arg, stack_name)
    if name:
        switch.clear(name)
        click.echo(f"fault {name} cleared")
    else:
        switch.clear_all()
        click.echo("every fault cleared")


@fault.command("list")
@click.option("-p", "--profile", "profile_arg", help=_PROFILE_HELP)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
def list_faults(profile_arg: str | None, stack_name: str | None) -> None:
    """List the profile's failure modes and which are active."""
    switch, faults = _attach(profile_arg, stack_name)
    active = set(switch.active())
    for fault_name, plan in faults.items():
        marker = "ACTIVE" if fault_name in active else "      "
        click.echo(f"{marker} {fault_name:<20} {plan.describe()}")
