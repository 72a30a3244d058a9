"""`envsim plan`: print the fully resolved stack (and, for a scenario, timeline and load)."""

from __future__ import annotations

import click


@click.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--name", "stack_name", help="Stack name (default: the profile's name).")
def plan(target: str, as_json: bool, stack_name: str | None) -> None:
    """Print the fully resolved plan of a PROFILE or SCENARIO; nothing is started.

    TARGET is a profile name (looked up as profiles/NAME.yaml), a profile path or a
    scenario path. Secret values are never shown, only <secret:NAME>.

    \b
    Examples:
      envsim plan prod-like
      envsim plan scenarios/checkout.yaml --json
    """
    from envsim import api
    from envsim.plan.render import profile_plan_to_dict, scenario_to_dict, scenario_to_text, stack_to_text, to_json

    loaded = api.load_any(target)
    resolved = api.plan(loaded, name=stack_name)
    if isinstance(resolved, api.ProfilePlan):
        if as_json:
            output = to_json(profile_plan_to_dict(resolved.stack, resolved.faults)) + "\n"
        else:
            output = stack_to_text(resolved.stack, resolved.faults, loaded.root)
    else:
        output = to_json(scenario_to_dict(resolved)) + "\n" if as_json else scenario_to_text(resolved, loaded.root)
    click.echo(output, nl=False)
