"""`envsim mcp`: serve the environment's context to a coding agent over stdio (MCP).

Lives with the server (a front end beside envsim.cli, which names it in its lazy command
table), so the CLI package never imports the MCP SDK; `envsim --help` stays cheap.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("mcp")
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The app repo to describe (default: the working directory).",
)
def mcp(root: Path | None) -> None:
    """Serve this repo's environment to a coding agent over stdio (Model Context Protocol).

    Started by the agent from its MCP configuration, in the app repo:
    {"command": "envsim", "args": ["mcp"]}. Resources (read-only): services, configuration
    contract (secrets as <secret: NAME>), data (live when the stack is up), third-party
    APIs, failure modes and scenarios. Tools: validate, plan, describe_environment; up and
    run_scenario (start containers), status, fault_apply, fault_clear, down. Stacks started
    through it are removed when it stops. See docs/mcp.md.
    """
    from envsim.mcp.stdio import run_stdio

    run_stdio(root)
