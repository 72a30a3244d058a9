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
    check passed, 1 when one failed.

    \b
    Examples:
      envsim verdict reports/journal.json
      envsim verdict reports/journal.json --reports /tmp/out --format junit --format markdown
    """
    from envsim.errors import EXIT_OK, EXIT_VERDICT_FAILED, EnvironmentProblem, InputError
    from envsim.reports import write_reports
    from envsim.reports.terminal import print_verdict
    from envsim.journal import Journal, JournalChecksError
    from envsim.verdict import judge

    try:
        journal = Journal.read(journal_path)
    except JournalChecksError as error:
        raise InputError(f"{journal_path}: the journal's checks cannot be read: {_short(error)}") from None
    except FileNotFoundError:
        raise InputError(f"{journal_path}: no such journal file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{journal_path}: cannot read the journal: {error}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        # json.JSONDecodeError is a ValueError; TypeError/KeyError come from missing or unknown fields
        raise InputError(f"{journal_path}: not a valid envsim journal: {_short(error)}") from None
    result = judge(journal)

    print_verdict(result)
    if not no_reports:
        target = reports_dir if reports_dir is not None else journal_path.parent
        try:
            written = write_reports(journal, result, target, formats or REPORT_FORMATS)
        except OSError as error:
            raise EnvironmentProblem(f"cannot write reports to {target}: {error}") from None
        for path in written:
            click.echo(f"wrote {path}", err=True)
    return EXIT_OK if result.passed else EXIT_VERDICT_FAILED


def _short(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."
