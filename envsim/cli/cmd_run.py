"""`envsim run`: a scenario as a release gate — load, fault timeline, verdict, reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from envsim.cli.cmd_stack import engine_options


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
@click.option(
    "--workers",
    type=click.IntRange(min=0, max=64),
    help="Override load.workers: Locust master + N workers (0: one process).",
)
@click.option(
    "--workers-on",
    type=click.Choice(["local", "docker", "remote"]),
    help="Where the workers run: local processes (default); docker: containers on the stack's network; "
    "or remote: the run waits for N `envsim worker`s to join.",
)
@click.option(
    "--load-on",
    type=click.Choice(["host", "cluster"]),
    help="Where Locust runs: host (default: this machine; on Kubernetes it reaches the stack through a "
    "port-forward) or cluster: the runner, or the master and its --workers, as Jobs in the stack's "
    "namespace (with --on kubernetes).",
)
@click.option("--master-bind", metavar="ADDRESS", help="The address the Locust master listens on (default 127.0.0.1).")
@click.option(
    "--publish-address",
    metavar="ADDRESS",
    help="Where a stack this run starts publishes its entry points (as `envsim up --publish-address`): "
    "an address of this machine the remote workers reach; a running stack keeps its own.",
)
@click.option(
    "--master-port", type=click.IntRange(min=1, max=65535), help="The master's port (default: free; 5557 for remote)."
)
@click.option(
    "--generator-cpus",
    metavar="CORES",
    help="Override load.cpus: pin Locust to these cores (e.g. 0 or 0-1) and the stack's containers to the others.",
)
@engine_options(registry=True)
def run(
    scenario_paths: tuple[Path, ...],
    no_up: bool,
    keep: bool,
    stack_name: str | None,
    users: int | None,
    duration: str | None,
    reports_dir: Path | None,
    no_pull: bool,
    generator_cpus: str | None,
    **choices: Any,  # --workers, --workers-on, --load-on, --master-bind, --master-port, --publish-address; --on, ...
) -> int:
    """Run SCENARIO: bring its profile up if needed, drive load while faults come and go,
    judge the checks, and write the journal and reports.

    Several scenarios make a release gate: they run one after another, each with its own
    verdict and reports, then one combined verdict, one exit code and one JUnit file with a
    test suite per scenario. Every scenario is validated before the first one starts.

    Exit codes: 0 every check passed, 1 a check failed, 2 invalid input, 3 environment
    error (also envsim's own Toxiproxy failing mid-run), 4 inconclusive (a load worker was lost,
    or no check failed but the load generator was saturated while one was measured), 130
    interrupted (faults reverted, a stack this run started removed). Remote workers join with
    `envsim worker`.

    \b
    Examples:
      envsim run scenarios/checkout.yaml
      envsim run scenarios/checkout.yaml --users 50 --duration 1m --reports out/
      envsim run scenarios/smoke.yaml --no-up
      envsim run scenarios/gate-*.yaml            a release gate
      envsim run scenarios/checkout.yaml --workers 4
      envsim run scenarios/checkout.yaml --workers 2 --workers-on remote --master-bind 10.0.0.5 --publish-address 10.0.0.5
      envsim run scenarios/checkout.yaml --on kubernetes     on the cluster (load through a port-forward)
      envsim run scenarios/checkout.yaml --on kubernetes --load-on cluster --workers 2
                                  Locust as a master and 2 worker pods beside the stack
    """
    from envsim.errors import EXIT_INTERRUPTED

    common = dict(name=stack_name, bring_up=not no_up, keep=keep, pull=not no_pull, users=users, duration=duration)
    common.update(generator_cpus=generator_cpus)
    options = _options(common, choices)
    if duration is not None:
        _warn_of_cuts(scenario_paths, duration, users)
    interrupted, verdicts, problems, broken = _run_scenarios(scenario_paths, reports_dir, options)
    if interrupted:
        click.echo("interrupted: faults reverted; reports cover the load run until then", err=True)
        return EXIT_INTERRUPTED
    for problem in filter(None, problems):
        raise problem  # after the verdict: files missing is an environment error (exit 3)
    return _exit_code(verdicts, broken)


def _options(common: dict[str, Any], choices: dict[str, Any]) -> dict[str, Any]:
    """api.run's keyword arguments: the command's choices, the console's progress views."""
    from envsim import api
    from envsim.cli.console import ConsoleProgress

    engine = api.EngineChoice(*(choices.pop(key) for key in ("on", "kubeconfig", "context", "registry")))
    return {
        **common,
        "load_on": choices.pop("load_on"),
        "publish_address": choices.pop("publish_address"),
        "engine": engine,
        "workers": _worker_options(**choices),
        "observer": api.console_observer(),
        "progress": ConsoleProgress(),
    }


def _exit_code(verdicts: list[Any], broken: list[bool]) -> int:
    """`broken`: per verdict, whether its run itself broke (envsim's own Toxiproxy stopped,
    Locust died): an environment problem the verdict names, never a failed check of the app."""
    from envsim.errors import EXIT_ENVIRONMENT, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_VERDICT_FAILED

    if verdicts and all(verdict.passed for verdict in verdicts):
        return EXIT_OK
    judged = [verdict for verdict, broke in zip(verdicts, broken) if not broke]
    # a failed check outweighs another scenario's inconclusive or broken run: it is a finding either way
    if not all(v.passed or v.inconclusive for v in judged):
        return EXIT_VERDICT_FAILED
    return EXIT_ENVIRONMENT if any(broken) else EXIT_INCONCLUSIVE


def _worker_options(
    workers: int | None, workers_on: str | None, master_bind: str | None, master_port: int | None
) -> Any:
    from envsim import api

    if workers is None and workers_on is None and master_bind is None and master_port is None:
        return None
    if workers_on == "remote":
        where = f"{master_bind or '127.0.0.1'}:{master_port or api.LOCUST_MASTER_PORT}"
        click.echo(f"the run will wait for its workers: start `envsim worker --master {where}` on each", err=True)
    return api.WorkerOptions(count=workers, on=workers_on, bind=master_bind, port=master_port)


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
) -> tuple[bool, list[Any], list[Any], list[bool]]:
    """One scenario, or several as a release gate: (interrupted, verdicts, write problems, and
    per verdict whether its run broke: its journal carries an error)."""
    from envsim import api
    from envsim.cli.signals import interruptible

    with interruptible() as cancel:
        if len(scenario_paths) == 1:
            result = api.run(scenario_paths[0], reports_dir=reports_dir, cancel=cancel, **options)
            _show(result)
            interrupted, verdicts = result.journal.interrupted, [result.verdict]
            problems = [result.write_problem]
            broken = [bool(result.journal.error)]
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
                click.echo(f"  {result.verdict.word}  {result.journal.scenario}")
            click.echo(gate.summary_line(total))
            click.echo(f"wrote {gate.junit_path}", err=True)
            interrupted, verdicts = gate.interrupted, [result.verdict for result in gate.results]
            problems = [result.write_problem for result in gate.results]
            broken = [bool(result.journal.error) for result in gate.results]
    return interrupted, verdicts, problems, broken


def _show(result, prefix: str = "") -> None:
    from envsim.reports.terminal import print_verdict

    if prefix:
        click.echo(f"\n{prefix}scenario {result.journal.scenario}")
    print_verdict(result.verdict, journal=result.journal)
    for path in filter(None, (*result.report_paths, result.journal_path)):
        click.echo(f"wrote {path}", err=True)
