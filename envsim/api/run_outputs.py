"""Writing a run's journal and reports, and saying plainly what was kept when the disk is full.

The journal goes first: every report can be made again from it (`envsim verdict`), so a disk
that fills up part-way still leaves the one file that matters. Each file is written
atomically (envsim.fileio.write_atomic), so what is there is whole; what is not was never
half-written.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from envsim.errors import EnvironmentProblem
from envsim.journal import Journal
from envsim.reports import FORMATS, write_reports
from envsim.verdict import Verdict

JOURNAL_FILE = "journal.json"


@dataclass(frozen=True)
class RunOutputs:
    journal_path: Path | None  # None when even the journal could not be written
    report_paths: tuple[Path, ...]
    problem: EnvironmentProblem | None = None  # why some were not written


def write_run_outputs(journal: Journal, verdict: Verdict, out_dir: Path, formats: Iterable[str]) -> RunOutputs:
    """The journal, then each report, into `out_dir`; an OSError stops the writing and is
    returned as a problem naming the disk and what was kept, instead of being raised."""
    journal_path = out_dir / JOURNAL_FILE
    try:
        journal.write(journal_path)
    except OSError as error:
        return RunOutputs(None, (), unwritable(out_dir, error, kept=()))
    written: list[Path] = []
    for format_name in dict.fromkeys(formats):
        try:
            written += write_reports(journal, verdict, out_dir, [format_name])
        except OSError as error:
            return RunOutputs(journal_path, tuple(written), unwritable(out_dir, error, kept=(journal_path, *written)))
    return RunOutputs(journal_path, tuple(written))


def unwritable(out_dir: Path, error: OSError, kept: tuple[Path, ...]) -> EnvironmentProblem:
    """What happened (and on which disk), what was kept, and how to get the rest."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        mount = mount_point(out_dir)
        what = f"the disk holding {out_dir} ({mount}, {free_kib(mount)} KiB free) is full"
        fix = f"free space on {mount} (or pass --reports DIR on another disk)"
    else:
        what = f"cannot write to {out_dir}: {error.strerror or error}"
        fix = "make that directory writable (or pass --reports DIR elsewhere)"
    if not kept:
        return EnvironmentProblem(
            f"{what}: the journal could not be written, so nothing of this run was kept "
            "(no partial file was left); the verdict above is all there is",
            hint=f"{fix}, then run the scenario again",
        )
    journal, reports = kept[0], [p.name for p in kept[1:]]
    return EnvironmentProblem(
        f"{what}: the journal was kept ({journal}){', and ' + ', '.join(reports) if reports else ''}; "
        "the other reports were not written (no partial file was left)",
        hint=f"{fix}, then `envsim verdict {journal} --reports {out_dir}` writes the reports from the journal",
    )


def mount_point(path: Path) -> str:
    current = Path(os.path.abspath(path))
    while not current.exists():  # the reports directory may not exist yet
        current = current.parent
    while not os.path.ismount(current):
        current = current.parent
    return str(current)


def free_kib(mount: str) -> int:
    stats = os.statvfs(mount)
    return stats.f_bavail * stats.f_frsize // 1024


__all__ = ["FORMATS", "JOURNAL_FILE", "RunOutputs", "write_run_outputs", "unwritable"]
