"""`envsim up`, `status` and `down`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

_ENGINES = ("docker", "kubernetes")


def engine_options(*, registry: bool = False):
    """--on, --kubeconfig and --context (and --registry, for commands that bring images)."""

    def decorate(command):
        if registry:
            command = click.option(
                "--registry",
                metavar="REGISTRY",
                help="Kubernetes: push the stack's images there (a cluster elsewhere) instead of importing "
                "them into the local cluster's containerd.",
            )(command)
        command = click.option("--context", metavar="NAME", help="Kubernetes: the kubeconfig context to use.")(command)
        command = click.option(
            "--kubeconfig",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="Kubernetes: the kubeconfig (default: $KUBECONFIG, else ~/.kube/config).",
        )(command)
        return click.option(
            "--on",
            "on",
            type=click.Choice(_ENGINES),
            help="Where the stack runs: the local Docker engine (default) or a Kubernetes cluster; "
            "ENVSIM_ON sets the default.",
        )(command)

    return decorate


def _backend(on: str | None, kubeconfig: str | None, context: str | None, registry: str | None = None):
    from envsim import api

    return api.open_backend(on, kubeconfig=kubeconfig, context=context, registry=registry)


@click.command()
@click.argument("profile")
@click.option("--name", "stack_name", help="Stack name (default: the profile's name); run several side by side.")
@click.option("--keep", is_flag=True, help="Keep what was started when start-up fails (for debugging).")
@click.option("--no-pull", is_flag=True, help="Never try a registry; use local images or offline builds.")
@click.option(
    "--publish-address",
    metavar="ADDRESS",
    help="Publish the entry points (the profile's `publish:` ports) on this address of this machine "
    "instead of 127.0.0.1, for load workers on other machines (`envsim run --workers-on remote`); "
    "0.0.0.0: on every address. Toxiproxy's, MockServer's and HAProxy's APIs stay on 127.0.0.1.",
)
@engine_options(registry=True)
def up(
    profile: str,
    stack_name: str | None,
    keep: bool,
    no_pull: bool,
    publish_address: str | None,
    on: str | None,
    kubeconfig: str | None,
    context: str | None,
    registry: str | None,
) -> None:
    """Build and start PROFILE's stack on the local Docker engine (or, with --on kubernetes,
    in a namespace of a cluster), health-gated.

    Toxiproxy fronts every service with ports; services start by dependency level, each gated
    on its health check. Run again, it converges: unchanged containers are kept, changed ones replaced.

    \b
    Examples:
      envsim up prod-like
      envsim up prod-like --name pr-123
      envsim up prod-like --publish-address 10.0.0.5    entry points for workers on 10.0.0.0/24
      envsim up prod-like --on kubernetes --kubeconfig ~/.kube/staging
    """
    from envsim import api
    from envsim.cli.console import ConsoleProgress
    from envsim.cli.signals import interruptible
    from envsim.interrupts import uninterrupted

    address = publish_address and api.checked_publish_address(publish_address)  # before any engine is asked
    backend = _backend(on, kubeconfig, context, registry)
    with interruptible() as cancel:
        stack = api.up(
            profile,
            stack_name,
            keep=True,
            keep_on_failure=keep,
            pull=not no_pull,
            progress=ConsoleProgress(),
            cancel=cancel,
            backend=backend,
            publish_address=address,
        )
        try:
            lines = stack.status().endpoint_lines()
        except KeyboardInterrupt:  # interrupted before it said the stack is up: undo it all
            with uninterrupted():
                stack.down()
            raise
    with uninterrupted():  # the stack is up from here on: a late signal cannot cut the report short
        _report_up(stack.name, lines, stack.handle.publish_address)


def _report_up(stack: str, lines: list[str], address: str) -> None:
    from envsim.plan.publish import describe_publish_address, is_loopback, is_wildcard

    click.echo(f"stack {stack} is up")
    for line in lines:
        click.echo(f"  {line}")
    if is_loopback(address):
        return
    click.echo(f"  entry points published on {describe_publish_address(address)}")
    if is_wildcard(address):
        click.echo(
            f"warning: the entry points listen on every address of this machine ({address}): anyone on a network "
            "it is on can send them requests; publish on the address of a private network instead",
            err=True,
        )


@click.command()
@click.argument("profile", required=False)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--all", "all_stacks", is_flag=True, help="Every envsim stack on this engine, not only this repo's.")
@engine_options()
def status(
    profile: str | None,
    stack_name: str | None,
    as_json: bool,
    all_stacks: bool,
    on: str | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Show stacks: services and their state, endpoints, proxies and active faults.

    Without PROFILE, the stacks of this repo (started from one of its profiles/); with
    --all, every stack on the engine. A named stack that is not running exits 3.

    \b
    Examples:
      envsim status               this repo's stacks
      envsim status prod-like --json
      envsim status --all         every stack on this engine
    """
    from envsim import api

    backend = _backend(on, kubeconfig, context)
    if stack_name or profile:
        named = _stack_named(stack_name, profile)
        item = api.status(named, backend)
        if not item.found:
            raise _not_running(named, profile, stack_name, backend.name)
        statuses = [item]
    else:
        names = api.stacks(backend=backend) if all_stacks else api.stacks(repo=Path.cwd(), backend=backend)
        statuses = [api.status(stack, backend) for stack in names]
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in statuses], indent=2, sort_keys=True))
        return
    if not statuses:
        if all_stacks:
            click.echo("no envsim stacks on this engine")
        else:
            others = len(api.stacks(backend=backend))
            click.echo(
                "no envsim stacks of this repo on this engine"
                + (f" ({others} of other repos: `envsim status --all`)" if others else "")
            )
    for item in statuses:
        click.echo(item.to_text())


def _not_running(named: str, profile: str | None, stack_name: str | None, engine: str) -> Exception:
    from envsim import api

    where = "the engine has no container of it" if engine == "docker" else "the cluster has no namespace of it"
    return api.EnvironmentProblem(
        f"stack {named} is not running: {where}",
        hint=f"start it with `envsim up {profile or 'PROFILE'}{f' --name {stack_name}' if stack_name else ''}`;"
        " `envsim status --all` lists the running stacks",
    )


def _stack_named(stack_name: str | None, profile: str | None) -> str:
    """--name, else PROFILE's stack (the command has checked that one of them is given)."""
    from envsim import api

    if stack_name:
        return stack_name
    if profile is None:
        raise click.UsageError("name a PROFILE or --name STACK")
    return api.stack_name_for(profile)


def _interactive() -> bool:
    return sys.stdin.isatty()


@click.command()
@click.argument("profile", required=False)
@click.option("--name", "stack_name", help="Stack name, when it differs from the profile's name.")
@click.option(
    "--all",
    "all_stacks",
    is_flag=True,
    help="Remove every envsim stack on this engine, other repos' too (asks first; --yes skips).",
)
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask before removing every stack (--all).")
@click.option("--images", "remove_images", is_flag=True, help="Also remove the images built for the stack's services.")
@click.option("--force", is_flag=True, help="Also remove stacks a running envsim command is using.")
@engine_options()
def down(
    profile: str | None,
    stack_name: str | None,
    all_stacks: bool,
    assume_yes: bool,
    remove_images: bool,
    force: bool,
    on: str | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Remove every container, network and volume envsim created for a stack.

    Only resources labeled by envsim are touched. Idempotent: removing a stack that is
    not there succeeds. --all removes every envsim stack on the engine, also those of
    other repos and users: it asks first on a terminal, and needs --yes otherwise.
    A stack that a running `envsim up` or `run` is using (from any state directory) is
    left alone, and named, unless --force.

    \b
    Examples:
      envsim down prod-like
      envsim down prod-like --images
      envsim down --name pr-123
    """
    from envsim import api

    if not (profile or stack_name or all_stacks):
        raise click.UsageError("name a PROFILE, or --name STACK, or --all")
    backend = _backend(on, kubeconfig, context)
    stacks = api.stacks(backend=backend) if all_stacks else [_stack_named(stack_name, profile)]
    in_use = (
        {stack: users for stack in stacks if (users := api.holders(stack, backend))} if all_stacks and not force else {}
    )
    stacks = [stack for stack in stacks if stack not in in_use]
    if all_stacks and stacks and not assume_yes:
        question = f"remove all {len(stacks)} envsim stacks on this engine ({', '.join(stacks)})?"
        if not _interactive():
            raise click.UsageError(f"--all would {question[:-1]}; pass --yes to confirm when not on a terminal")
        if not click.confirm(question, default=False):
            click.echo("nothing removed")
            return
    _remove_each(stacks, in_use, backend, images=remove_images, reap=not all_stacks, force=force)
    if not stacks and not in_use:
        click.echo("no envsim stacks on this engine")


def _remove_each(stacks: list[str], in_use: dict, backend, *, images: bool, reap: bool, force: bool) -> None:
    from envsim import api

    for stack in stacks:
        counts, image_count = api.down(
            stack,
            images=images,
            reap=reap,
            force=force,
            backend=backend,
            on_reap=lambda message: click.echo(message, err=True),
        )
        removed_images = f", {image_count} images" if images else ""
        click.echo(f"stack {stack} removed ({counts.describe()}{removed_images})")
    for stack, users in in_use.items():
        click.echo(
            f"stack {stack} left alone: in use by {', '.join(u.describe() for u in users)} (--force removes it anyway)",
            err=True,
        )
