"""The journal's environment records stand-ins; the HTML report shows them, loudly when inexact."""

from __future__ import annotations

import dataclasses

from report_journals import sample_journal

from envsim.journal import Journal
from envsim.reports import write_reports
from envsim.reports.environment import displayed_environment, inexact, stand_in_lines
from envsim.verdict import judge

NEAREST = {
    "requested": "postgres:11.5-alpine",
    "stand_in": "Debian bullseye's PostgreSQL 13",
    "suite": "bullseye",
    "version": "13",
    "match": "nearest",
}
EXACT = {
    "requested": "redis:7",
    "stand_in": "Debian bookworm's Redis 7.0",
    "suite": "bookworm",
    "version": "7.0",
    "match": "exact",
}


def test_stand_in_lines_and_the_inexact_flag():
    environment = {"stand_ins": {"shop-db-0": NEAREST, "shop-cache-0": EXACT}}
    assert stand_in_lines(environment) == [
        "shop-cache-0: Debian bookworm's Redis 7.0 in place of redis:7 (the pinned version)",
        "shop-db-0: Debian bullseye's PostgreSQL 13 in place of postgres:11.5-alpine (nearest: NOT the pinned version)",
    ]
    assert inexact(environment) and not inexact({"stand_ins": {"c": EXACT}}) and not inexact({})
    assert displayed_environment({"python": "3.11"}) == {"envsim's Python": "3.11"}


def test_the_html_report_and_a_decoded_journal_keep_stand_ins(tmp_path):
    journal = sample_journal()
    journal = dataclasses.replace(journal, environment={**journal.environment, "stand_ins": {"shop-db-0": NEAREST}})
    (path,) = write_reports(journal, judge(journal), tmp_path, ["html"])
    html = path.read_text()
    assert 'id="stand-ins"' in html
    assert (
        "Debian bullseye&#x27;s PostgreSQL 13 in place of postgres:11.5-alpine (nearest: NOT the pinned version)"
        in html
    )
    decoded = Journal.from_json(journal.to_json())
    assert decoded.environment["stand_ins"]["shop-db-0"] == NEAREST


def test_no_stand_ins_no_warning(tmp_path):
    journal = sample_journal()
    (path,) = write_reports(journal, judge(journal), tmp_path, ["html"])
    assert 'id="stand-ins"' not in path.read_text()


def test_the_markdown_summary_says_first_when_another_version_ran(tmp_path):
    journal = sample_journal()
    inexact_run = dataclasses.replace(
        journal, environment={**journal.environment, "stand_ins": {"shop-db-0": NEAREST, "shop-cache-0": EXACT}}
    )
    (path,) = write_reports(inexact_run, judge(inexact_run), tmp_path, ["markdown"])
    text = path.read_text()
    assert "> ⚠️ **Offline stand-ins of other versions than the profile pins ran in this stack:**" in text
    assert (
        "> - shop-db-0: Debian bullseye's PostgreSQL 13 in place of postgres:11.5-alpine "
        "(nearest: NOT the pinned version)"
    ) in text
    assert text.index("Offline stand-ins") < text.index("| | Check |")  # before the checks
    exact_run = dataclasses.replace(journal, environment={**journal.environment, "stand_ins": {"c": EXACT}})
    (path,) = write_reports(exact_run, judge(exact_run), tmp_path / "exact", ["markdown"])
    assert "Offline stand-ins" not in path.read_text()
