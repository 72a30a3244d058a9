"""`envsim fault apply|clear|list`: ad-hoc faults from a profile's failure_modes."""

from __future__ import annotations

import click

from envsim.cli.cmd_stack import engine_options

_PROFILE_HELP = "The stack's profile (default: the profile of the only running stack)."


def _attach(
    profile_arg: str | None, stack_name: str | None, on: str | None, kubeconfig: str | None, context: str | None
):
    from envsim import api

    backend = api.open_backend(on, kubeconfig=kubeconfig, context=context)
    return api.attach(stack_name, profile=profile_arg, backend=backend)


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
@engine_options()
def apply_fault(
    name: str,
    profile_arg: str | None,
    stack_name: str | None,
    on: str | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Apply the failure mode NAME until it is cleared."""
    fault_plan = _attach(profile_arg, stack_name, on, kubeconfig, context).apply_fault(name)
    click.echo(f"fault {name} applied: {fault_plan.describe()}")


@fault.command("clear")
@click.argument("name", required=False)
@click.option("-p", "--profile", "profile_arg", help=_PROFILE_HELP)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
@engine_options()
def clear_fault(
    name: str | None,
    profile_arg: str | None,
    stack_name: str | None,
    on: str | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Clear the failure mode NAME, or every fault when no NAME is given."""
    _attach(profile_arg, stack_name, on, kubeconfig, context).clear_fault(name)
    click.echo(f"fault {name} cleared" if name else "every fault cleared")


@fault.command("list")
@click.option("-p", "--profile", "profile_arg", help=_PROFILE_HELP)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
@engine_options()
def list_faults(
    profile_arg: str | None, stack_name: str | None, on: str | None, kubeconfig: str | None, context: str | None
) -> None:
    """List the profile's failure modes and which are active."""
    stack = _attach(profile_arg, stack_name, on, kubeconfig, context)
    active = set(stack.active_faults())
    for fault_name, plan in stack.faults.items():
        marker = "ACTIVE" if fault_name in active else "      "
        click.echo(f"{marker} {fault_name:<20} {plan.describe()}")
