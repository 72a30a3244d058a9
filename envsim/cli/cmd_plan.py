"""`envsim plan`: print the fully resolved stack (and, for a scenario, timeline and load)."""

from __future__ import annotations

import click

FORMATS = ("text", "json", "kubernetes")


@click.command()
@click.argument("target")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="text (default), json, or kubernetes: the stack as Kubernetes manifests (a YAML stream).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (the same as --format json).")
@click.option("--name", "stack_name", help="Stack name (default: the profile's name).")
def plan(target: str, output_format: str | None, as_json: bool, stack_name: str | None) -> None:
    """Print the fully resolved plan of a PROFILE or SCENARIO; nothing is started.

    TARGET is a profile name (looked up as profiles/NAME.yaml), a profile path or a
    scenario path. Secret values are never shown, only <secret:NAME>.

    With --format kubernetes the stack is printed as manifests (one namespace per stack):
    each dependency's Service answers through Toxiproxy as on Docker, credentials are
    secretKeyRefs into a Secret printed without values (envsim up writes them), seeds are Jobs.

    \b
    Examples:
      envsim plan prod-like
      envsim plan scenarios/checkout.yaml --json
      envsim plan prod-like --format kubernetes > prod-like.k8s.yaml
    """
    from envsim import api

    if as_json and output_format not in (None, "json"):
        raise click.UsageError("--json and --format kubernetes exclude each other: choose one")
    chosen = "json" if as_json else output_format or "text"
    loaded = api.load_any(target, backend="kubernetes" if chosen == "kubernetes" else "docker")
    resolved = api.plan(loaded, name=stack_name)
    click.echo(_render(api, chosen, loaded, resolved), nl=False)


def _render(api, chosen: str, loaded, resolved) -> str:
    from envsim.plan.render import profile_plan_to_dict, scenario_to_dict, scenario_to_text, stack_to_text, to_json

    if chosen == "kubernetes":
        from envsim.plan.kubernetes_yaml import manifests_to_yaml

        stack = resolved.stack
        return manifests_to_yaml(stack, api.kubernetes_manifests(stack))
    if isinstance(resolved, api.ProfilePlan):
        if chosen == "json":
            return to_json(profile_plan_to_dict(resolved.stack, resolved.faults)) + "\n"
        return stack_to_text(resolved.stack, resolved.faults, loaded.root)
    return to_json(scenario_to_dict(resolved)) + "\n" if chosen == "json" else scenario_to_text(resolved, loaded.root)
