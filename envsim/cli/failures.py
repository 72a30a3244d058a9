"""Turning exceptions into messages and exit codes: the one place that does it."""

from __future__ import annotations

import sys

import click

from envsim.errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERRUPTED,
    EXIT_INVALID_INPUT,
    EnvironmentProblem,
    EnvsimError,
    InputError,
)


def report_error(error: EnvsimError) -> int:
    if isinstance(error, InputError) and error.problems:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        count = len(error.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
    else:
        click.echo(f"envsim: error: {error}", err=True)
        if isinstance(error, EnvironmentProblem) and error.hint:
            click.echo(f"hint: {error.hint}", err=True)
    return error.exit_code


def run_cli(group: click.Group) -> int:
    try:
        result = group.main(standalone_mode=False, prog_name="envsim")
    except EnvsimError as error:
        return report_error(error)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        # click's usage errors are exit 2 already; keep every input mistake at 2
        return EXIT_INVALID_INPUT if error.exit_code in (1, 2) else error.exit_code
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as error:
        return _engine_gone(error) or _unexpected(error)
    return result if isinstance(result, int) else 0


def _unexpected(error: Exception) -> int:
    """A bug, or an engine answer envsim does not know: exit 3, never 1 (which a release gate
    reads as "the checks failed"), one line here and the traceback in a file for the report."""
    from envsim.api.crash_log import one_line, save_traceback

    path = save_traceback(error)
    click.echo(f"envsim: unexpected error: {one_line(error)}", err=True)
    click.echo(
        f"the traceback is in {path}" if path else "the traceback could not be saved (no writable directory)", err=True
    )
    return EXIT_ENVIRONMENT


def _engine_gone(error: Exception) -> int | None:
    """The engine went away in the middle of a command with no message of its own for it (the
    run has one): said plainly, exit 3. None for any other exception."""
    from envsim.api import engine_address, engine_unreachable, why_unreachable

    if not engine_unreachable(error):
        return None
    return report_error(
        EnvironmentProblem(
            f"the Docker engine stopped answering at {engine_address()} ({why_unreachable(error)}); "
            "envsim stopped where it was, so a stack it was changing may be half started or half removed",
            hint="start the engine again (or point DOCKER_HOST back at it), then `envsim down --name STACK` "
            "removes what is left",
        )
    )
