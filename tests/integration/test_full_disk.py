"""A disk that fills up while a run's files are written: the journal goes first and is whole
or absent, never torn; the problem names the disk and what was kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "reports"))
from report_journals import sample_journal  # noqa: E402
from small_disk import PAGE, fill, pages, small_disk  # noqa: E402

from envsim.api.run_outputs import write_run_outputs  # noqa: E402
from envsim.journal import Journal  # noqa: E402
from envsim.reports import FORMATS  # noqa: E402
from envsim.verdict import judge  # noqa: E402

pytestmark = pytest.mark.docker_free


def test_the_journal_is_kept_when_the_reports_do_not_fit(tmp_path):
    journal = sample_journal(seconds=60)
    verdict = judge(journal)
    size = len(journal.to_json().encode())
    with small_disk(tmp_path / "disk", 64 * PAGE + 64 * 1024) as disk:
        fill(disk, leave=pages(size))  # room for the journal and not a byte more
        out = disk / "reports"
        outputs = write_run_outputs(journal, verdict, out, FORMATS)
        assert outputs.journal_path == out / "journal.json"
        assert Journal.from_json((out / "journal.json").read_text()) == journal  # whole
        assert outputs.report_paths == ()
        assert sorted(p.name for p in out.iterdir()) == ["journal.json"]  # no partial report, no .tmp
        message = str(outputs.problem)
        assert message.startswith(f"the disk holding {out} ({disk}, ")
        assert "is full: the journal was kept" in message and str(out / "journal.json") in message
        assert f"`envsim verdict {out / 'journal.json'} --reports {out}`" in outputs.problem.hint


def test_nothing_torn_is_left_when_even_the_journal_does_not_fit(tmp_path):
    journal = sample_journal(seconds=60)
    with small_disk(tmp_path / "disk", 64 * PAGE) as disk:
        fill(disk, leave=1)
        out = disk / "reports"
        outputs = write_run_outputs(journal, judge(journal), out, FORMATS)
        assert outputs.journal_path is None and outputs.report_paths == ()
        assert list(out.iterdir()) == []
        assert "the journal could not be written, so nothing of this run was kept" in str(outputs.problem)
