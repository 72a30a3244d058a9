"""`envsim verdict`: re-judge a saved run journal and write its reports again."""

from __future__ import annotations

from pathlib import Path

import click

REPORT_FORMATS = ("json", "junit", "html", "markdown")


@click.command()
@click.argument("journal_path", metavar="JOURNAL", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory for the reports (default: the journal's directory).",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(REPORT_FORMATS),
    help="A report format; repeat for several (default: all).",
)
@click.option("--no-reports", is_flag=True, help="Only print the verdict; write no files.")
def verdict(journal_path: Path, reports_dir: Path | None, formats: tuple[str, ...], no_reports: bool) -> int:
    """Re-judge the run recorded in JOURNAL with the checks it carries.

    Prints the checks table and the verdict, writes the reports, and exits 0 when every
    check passed, 1 when one failed, 3 when the run itself broke (the journal carries its error),
    4 when none failed but the run was inconclusive (a load worker lost, the load generator
    saturated while a check was measured).

    \b
    Examples:
      envsim verdict reports/journal.json
      envsim verdict reports/journal.json --reports /tmp/out --format junit --format markdown
    """
    from envsim import api
    from envsim.errors import EXIT_ENVIRONMENT, verdict_exit
    from envsim.reports.terminal import print_verdict

    journal = api.read_journal(journal_path)
    result = api.judge(journal)
    print_verdict(result, journal=journal)
    if not no_reports:
        target = reports_dir if reports_dir is not None else journal_path.parent
        for path in api.report(journal, result, target, formats or REPORT_FORMATS):
            click.echo(f"wrote {path}", err=True)
    if journal.error:  # the run itself broke: the same exit code as the run that wrote the journal
        return EXIT_ENVIRONMENT
    return verdict_exit(result.passed, bool(result.inconclusive))
