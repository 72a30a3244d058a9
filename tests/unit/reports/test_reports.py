import json
import xml.etree.ElementTree as ET

import pytest
from report_journals import NASTY, sample_journal

from envsim.reports import FORMATS, write_reports
from envsim.verdict import judge


@pytest.fixture(scope="module")
def run():
    journal = sample_journal()
    return journal, judge(journal)


def test_write_reports_writes_each_asked_format(tmp_path, run):
    journal, verdict = run
    paths = write_reports(journal, verdict, tmp_path / "out", ["junit", "markdown"])
    assert [p.name for p in paths] == ["junit.xml", "summary.md"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["junit.xml", "summary.md"]
    every = write_reports(journal, verdict, tmp_path / "all", FORMATS)
    assert {p.name for p in every} == {"verdict.json", "junit.xml", "report.html", "summary.md"}


def test_unknown_format_is_refused_before_writing(tmp_path, run):
    with pytest.raises(ValueError, match="unknown report format"):
        write_reports(*run, tmp_path, ["json", "pdf"])
    assert not list(tmp_path.iterdir())


def test_junit_has_a_testcase_per_check_and_failures_with_measured_and_bound(tmp_path, run):
    journal, verdict = run
    (path,) = write_reports(journal, verdict, tmp_path, ["junit"])
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(verdict.results) == 7
    assert suite.get("tests") == "7" and suite.get("failures") == str(len(verdict.failed))
    by_id = {case.get("name").split(":")[0]: case for case in cases}
    assert by_id["check-1"].find("failure") is None  # p95 < 500ms passed
    error_rate = by_id["check-3"].find("failure")
    assert error_rate is not None
    assert error_rate.get("message").startswith("measured 48.62%, bound < 5%")
    # a user's label survives intact through XML escaping
    assert by_id["check-2"].get("name") == f"check-2: errors stay low {NASTY}"
    sql = by_id["check-6"].find("failure").get("message")
    assert "measured 1743" in sql and "bound = 1744" in sql


def test_markdown_has_a_table_row_per_check_and_the_verdict_line(tmp_path, run):
    journal, verdict = run
    (path,) = write_reports(journal, verdict, tmp_path, ["markdown"])
    text = path.read_text()
    assert text.startswith("## ❌ envsim checkout: FAILED")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| | Check | Measured | Bound | Detail |"
    assert len(rows) == 1 + 7
    assert "| ✅ | p95 &lt; 500ms | 437ms | &lt; 500ms |" in rows[1]
    # a pipe in a label is escaped so the row keeps its five cells
    assert "&amp; \\| pipes" in rows[2] and "<script>" not in text
    assert text.rstrip().endswith("verdict: FAILED (4/7 checks passed)")


def test_json_report_is_strict_json_with_every_result(tmp_path, run):
    journal, verdict = run
    (path,) = write_reports(journal, verdict, tmp_path, ["json"])
    document = json.loads(path.read_text())
    assert document["passed"] is False
    assert document["run"]["run_id"] == journal.run_id
    assert [r["check_id"] for r in document["results"]] == [f"check-{i}" for i in range(1, 8)]
    recovery = document["results"][4]
    assert recovery["measured"] == 3.97 and recovery["unit"] == "s" and recovery["passed"] is True


def test_html_escapes_user_text_and_loads_nothing_external(tmp_path, run):
    journal, verdict = run
    (path,) = write_reports(journal, verdict, tmp_path, ["html"])
    html = path.read_text()
    assert "<script" not in html  # the label's script tag is shown as text, never run
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "</td><b>x</b>" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert "default-src 'none'" in html
    for chart in ("chart-rps", "chart-p95", "chart-errors"):
        assert f'id="{chart}"' in html
    assert html.count('class="fault-window"') == 3 * 2  # two fault windows on each chart


def test_html_with_no_load_says_so_instead_of_drawing_nothing(tmp_path):
    journal = sample_journal(seconds=0)
    html = write_reports(journal, judge(journal), tmp_path, ["html"])[0].read_text()
    assert "no data" in html
