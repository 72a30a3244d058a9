"""`envsim plan`: print the fully resolved stack (and, for a scenario, timeline and load)."""

from __future__ import annotations

import os
from pathlib import Path

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
    from envsim.config import load_any
    from envsim.config.model import Scenario
    from envsim.plan.faults import plan_faults
    from envsim.plan.render import profile_plan_to_dict, scenario_to_dict, scenario_to_text, stack_to_text, to_json
    from envsim.plan.scenario import plan_scenario
    from envsim.plan.stack import plan_stack

    loaded = load_any(target, Path.cwd(), dict(os.environ))
    if isinstance(loaded, Scenario):
        scenario_plan = plan_scenario(loaded, stack_name)
        root = loaded.root
        output = to_json(scenario_to_dict(scenario_plan)) + "\n" if as_json else scenario_to_text(scenario_plan, root)
    else:
        stack_plan = plan_stack(loaded, stack_name)
        faults = plan_faults(stack_plan, loaded)
        if as_json:
            output = to_json(profile_plan_to_dict(stack_plan, faults)) + "\n"
        else:
            output = stack_to_text(stack_plan, faults, loaded.root)
    click.echo(output, nl=False)
