"""`envsim run`: a scenario as a release gate — load, fault timeline, verdict, reports."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click


@click.command()
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--no-up", is_flag=True, help="Require the stack to be running; never start it.")
@click.option("--keep", is_flag=True, help="Keep a stack this run started (default: remove it afterwards).")
@click.option("--name", "stack_name", help="Stack name (default: the profile's name).")
@click.option("--users", type=click.IntRange(min=1), help="Override load.users.")
@click.option("--duration", help="Override load.duration (e.g. 30s, 2m).")
@click.option("--reports", "reports_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Directory for the journal and reports (default: the scenario's reports.dir, else reports/).")
@click.option("--no-pull", is_flag=True, help="Never try a registry; use local images or offline builds.")
def run(scenario_path: Path, no_up: bool, keep: bool, stack_name: str | None, users: int | None,
        duration: str | None, reports_dir: Path | None, no_pull: bool) -> int:
    """Run SCENARIO: bring its profile up if needed, drive load while faults come and go,
    judge the checks, and write the journal and reports.

    Exit codes: 0 every check passed, 1 a check failed, 2 invalid input, 3 environment
    error, 130 interrupted (faults reverted, a stack this run started removed).

    \b
    Examples:
      envsim run scenarios/checkout.yaml
      envsim run scenarios/checkout.yaml --users 50 --duration 1m --reports out/
      envsim run scenarios/smoke.yaml --no-up
    """
    from envsim.cli.cmd_stack import bring_up
    from envsim.cli.signals import interruptible
    from envsim.config import load_scenario
    from envsim.engine.state import PHASE_RUN
    from envsim.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_VERDICT_FAILED, InputError
    from envsim.plan.scenario import plan_scenario
    from envsim.reports import write_reports
    from envsim.reports.terminal import print_verdict
    from envsim.run.progress import console_observer
    from envsim.run.scenario_run import RunOptions, run_scenario
    from envsim.units import parse_duration
    from envsim.verdict import judge

    env = dict(os.environ)
    scenario = load_scenario(scenario_path, env)
    if users is not None or duration is not None:
        load = scenario.load
        if duration is not None:
            seconds = parse_duration(duration)
            if seconds is None or seconds <= 0:
                raise InputError(f"--duration: {duration!r} is not a duration (e.g. 30s, 2m)")
            load = dataclasses.replace(load, duration=seconds, stages=())
        if users is not None:
            load = dataclasses.replace(load, users=users, stages=())
        scenario = dataclasses.replace(scenario, load=load)
    plan = plan_scenario(scenario, stack_name)
    options = RunOptions(stack_name=stack_name, bring_up=not no_up, keep_stack=keep, pull=not no_pull)
    out_dir = reports_dir or scenario.reports_dir or Path("reports")

    with interruptible() as cancel:
        def start_stack(cancel_event):
            _, handle = bring_up(scenario.profile, stack_name, keep=False, pull=options.pull,
                                 cancel=cancel_event, final_phase=PHASE_RUN)
            return handle

        journal = run_scenario(scenario, plan, options, env, cancel, console_observer(), start_stack)
    journal.write(out_dir / "journal.json")
    verdict = judge(journal)
    print_verdict(verdict)
    for path in write_reports(journal, verdict, out_dir, scenario.report_formats):
        click.echo(f"wrote {path}", err=True)
    click.echo(f"wrote {out_dir / 'journal.json'}", err=True)
    if journal.interrupted:
        click.echo("interrupted: faults reverted; reports cover the load run until then", err=True)
        return EXIT_INTERRUPTED
    return EXIT_OK if verdict.passed else EXIT_VERDICT_FAILED
