"""`envsim run`: a scenario as a release gate — load, fault timeline, verdict, reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.command()
@click.argument(
    "scenario_paths", metavar="SCENARIO...", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False)
)
@click.option("--no-up", is_flag=True, help="Require the stack to be running; never start it.")
@click.option("--keep", is_flag=True, help="Keep a stack this run started (default: remove it afterwards).")
@click.option("--name", "stack_name", help="Stack name (default: the profile's name).")
@click.option("--users", type=click.IntRange(min=1), help="Override load.users.")
@click.option(
    "--duration",
    help="Override load.duration (e.g. 30s, 2m); faults and checks a shorter load cuts off are named before it starts.",
)
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory for the journal and reports (default: the scenario's reports.dir, else "
    "REPO/reports/SCENARIO/); with several scenarios, one subdirectory each and junit.xml.",
)
@click.option("--no-pull", is_flag=True, help="Never try a registry; use local images or offline builds.")
def run(
    scenario_paths: tuple[Path, ...],
    no_up: bool,
    keep: bool,
    stack_name: str | None,
    users: int | None,
    duration: str | None,
    reports_dir: Path | None,
    no_pull: bool,
) -> int:
    """Run SCENARIO: bring its profile up if needed, drive load while faults come and go,
    judge the checks, and write the journal and reports.

    Several scenarios make a release gate: they run one after another, each with its own
    verdict and reports, then one combined verdict, one exit code and one JUnit file with a
    test suite per scenario. Every scenario is validated before the first one starts.

    Exit codes: 0 every check passed, 1 a check failed, 2 invalid input, 3 environment
    error, 130 interrupted (faults reverted, a stack this run started removed).

    \b
    Examples:
      envsim run scenarios/checkout.yaml
      envsim run scenarios/checkout.yaml --users 50 --duration 1m --reports out/
      envsim run scenarios/smoke.yaml --no-up
      envsim run scenarios/gate-*.yaml            a release gate
    """
    from envsim import api
    from envsim.cli.console import ConsoleProgress
    from envsim.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_VERDICT_FAILED

    options: dict[str, Any] = dict(
        name=stack_name,
        bring_up=not no_up,
        keep=keep,
        pull=not no_pull,
        users=users,
        duration=duration,
        observer=api.console_observer(),
        progress=ConsoleProgress(),
    )
    if duration is not None:
        _warn_of_cuts(scenario_paths, duration, users)
    interrupted, passed, problems = _run_scenarios(scenario_paths, reports_dir, options)
    if interrupted:
        click.echo("interrupted: faults reverted; reports cover the load run until then", err=True)
        return EXIT_INTERRUPTED
    for problem in filter(None, problems):
        raise problem  # after the verdict: files missing is an environment error (exit 3)
    return EXIT_OK if passed else EXIT_VERDICT_FAILED


def _warn_of_cuts(scenario_paths: tuple[Path, ...], duration: str, users: int | None) -> None:
    """Before any load: the faults a shorter --duration cuts off, and the checks it leaves unmeasurable."""
    from envsim import api

    for path in scenario_paths:
        lines = api.duration_cuts(api.load_scenario(path, duration=duration, users=users))
        if lines:
            click.echo(f"warning: --duration {duration} is shorter than the timeline of {path}:", err=True)
            for line in lines:
                click.echo(f"  {line}", err=True)


def _run_scenarios(
    scenario_paths: tuple[Path, ...], reports_dir: Path | None, options: dict[str, Any]
) -> tuple[bool, bool, list[Any]]:
    """One scenario, or several as a release gate: (interrupted, passed, write problems)."""
    from envsim import api
    from envsim.cli.signals import interruptible

    with interruptible() as cancel:
        if len(scenario_paths) == 1:
            result = api.run(scenario_paths[0], reports_dir=reports_dir, cancel=cancel, **options)
            _show(result)
            interrupted, passed = result.journal.interrupted, result.verdict.passed
            problems = [result.write_problem]
        else:
            total = len(scenario_paths)
            click.echo(f"release gate: {total} scenarios", err=True)
            gate = api.run_gate(
                scenario_paths,
                reports_dir=reports_dir,
                cancel=cancel,
                **options,
                on_result=lambda index, result: _show(result, f"[{index + 1}/{total}] "),
            )
            for result in gate.results:
                click.echo(f"  {'PASSED' if result.verdict.passed else 'FAILED'}  {result.journal.scenario}")
            click.echo(gate.summary_line(total))
            click.echo(f"wrote {gate.junit_path}", err=True)
            interrupted, passed = gate.interrupted, gate.passed
            problems = [result.write_problem for result in gate.results]
    return interrupted, passed, problems


def _show(result, prefix: str = "") -> None:
    from envsim.reports.terminal import print_verdict

    if prefix:
        click.echo(f"\n{prefix}scenario {result.journal.scenario}")
    print_verdict(result.verdict, journal=result.journal)
    for path in filter(None, (*result.report_paths, result.journal_path)):
        click.echo(f"wrote {path}", err=True)
