"""The `envsim` command line: a thin layer, and the only place that prints and picks exit codes.

Each command lives in its own module and is imported only when it is invoked, so
`envsim --help`, `validate` and `plan` never import docker or locust.
"""

from __future__ import annotations

import importlib
import sys

import click

from envsim import __version__
from envsim.errors import EXIT_INTERRUPTED

# command name -> (module, attribute, one-line help shown by `envsim --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("envsim.cli.cmd_init", "init", "Scaffold profiles/ and scenarios/ in this repo."),
    "validate": ("envsim.cli.cmd_validate", "validate", "Check profiles and scenarios; all problems at once."),
    "plan": ("envsim.cli.cmd_plan", "plan", "Print the fully resolved stack; nothing is started."),
    "up": ("envsim.cli.cmd_stack", "up", "Build and start a profile's stack, health-gated."),
    "status": ("envsim.cli.cmd_stack", "status", "Show services, endpoints, proxies and active faults."),
    "down": ("envsim.cli.cmd_stack", "down", "Remove everything envsim created for a stack."),
    "fault": ("envsim.cli.cmd_fault", "fault", "Apply or clear a failure mode by name."),
    "run": ("envsim.cli.cmd_run", "run", "Run a scenario: load, fault timeline, verdict, reports."),
    "worker": ("envsim.cli.cmd_worker", "worker", "Join a run on another machine as a Locust worker."),
    "verdict": ("envsim.cli.cmd_verdict", "verdict", "Re-judge and re-report a saved run journal."),
    "images": ("envsim.cli.cmd_images", "images", "Make every image a profile needs available."),
    "schema": ("envsim.cli.cmd_schema", "schema", "Print the JSON Schema of a file format."),
    # a sibling front end (envsim/mcp), named here so it stays lazy like every command
    "mcp": ("envsim.mcp.command", "mcp", "Serve this repo's environment to coding agents (MCP, stdio)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help comes from the table, so listing commands imports none of them.
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="envsim")
def cli() -> None:
    """envsim: production-like staging stacks, load and faults, one verdict.

    \b
    Examples:
      envsim init                       scaffold profiles/ and scenarios/
      envsim validate                   check every profile and scenario
      envsim plan prod-like             show the resolved stack
      envsim up prod-like               start it on the local Docker engine
      envsim run scenarios/checkout.yaml
      envsim down prod-like             remove its stack

    Exit codes: 0 pass, 1 a check failed, 2 invalid input, 3 environment problem
    (or an unexpected error: its traceback goes to a file), 4 inconclusive (a load worker
    was lost, or the load generator was saturated while a check was measured), 130 interrupted.
    """


def main() -> None:
    import signal

    # From the first line on, SIGTERM interrupts like SIGINT (Python's default would end the
    # process at once, by signal, before any cleanup), and once the outcome is decided a signal
    # changes nothing: the exit code stays the command's, never a crash exit (-2, -15).
    deciding = [True]

    def interrupt(signum: int, frame: object) -> None:
        if deciding[0]:
            raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupt)
    try:
        from envsim.cli.failures import run_cli

        code = run_cli(cli)
    except KeyboardInterrupt:  # before the command took over its signals, or after it let go
        click.echo("interrupted", err=True)
        code = EXIT_INTERRUPTED
    deciding[0] = False
    # Python resets its own handlers to the default while finalizing, so a signal in the last
    # milliseconds would still end the process by signal: the outcome is decided, ignore them.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    # Under `python -m`, CPython exits by SIGINT when any string exec/eval ended in a
    # KeyboardInterrupt, even one caught later (dataclasses and namedtuple build their methods
    # that way while modules import); each string eval clears that mark, so this one does.
    eval("None")
    sys.exit(code)
