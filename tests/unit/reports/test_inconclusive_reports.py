"""Every report says a check was inconclusive, why, and how to fix it; JUnit skips it."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET

from report_journals import sample_journal

from envsim.journal import GeneratorSample
from envsim.reports import FORMATS, write_reports
from envsim.reports.terminal import render_plain
from envsim.verdict import judge

WHY = "the load generator (worker-1, pid 77) used 98% CPU for"
FIX = "add think time, lower users, add workers, or run the load elsewhere"


def saturated_journal():
    """The sample run, its generator (a master and one worker) saturated the whole time."""
    journal = sample_journal()
    samples = tuple(
        GeneratorSample(float(t + 1), 99.0, (("master", 76, 5.0, 0.0), ("worker-1", 77, 98.0, 0.0)))
        for t in range(int(journal.duration))
    )
    environment = {**journal.environment, "load_generator": {"host_cpus": 2}}
    return dataclasses.replace(journal, generator=samples, environment=environment)


def test_each_format_names_the_inconclusive_checks_with_reason_and_fix(tmp_path):
    journal = saturated_journal()
    verdict = judge(journal)
    undecided = verdict.undecided
    assert undecided and all(r.kind in ("metric", "recovery") for r in undecided)
    write_reports(journal, verdict, tmp_path, FORMATS)

    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("skipped") == str(len(undecided))
    skipped = [case.find("skipped") for case in suite.iter("testcase") if case.find("skipped") is not None]
    assert len(skipped) == len(undecided)
    assert all(WHY in (s.get("message") or "") and FIX in (s.get("message") or "") for s in skipped)

    document = json.loads((tmp_path / "verdict.json").read_text())
    assert document["status"] == "failed" and document["inconclusive"] == []  # the probes' checks failed for real
    flagged = [r for r in document["results"] if r["inconclusive"]]
    assert len(flagged) == len(undecided) and WHY in flagged[0]["inconclusive"]

    markdown = (tmp_path / "summary.md").read_text()
    html = (tmp_path / "report.html").read_text()
    terminal = render_plain(verdict, journal)
    for text in (markdown, terminal):
        assert "inconclusive: " + WHY in text and FIX in text
        assert "load generator: not pinned: it shared the machine's cores with the stack" in text
    assert "(1/7 checks passed, 5 inconclusive)" in terminal
    assert 'class="result-inconclusive"' in html and WHY in html and 'id="load-generator"' in html


def test_with_only_load_checks_the_verdict_itself_is_inconclusive(tmp_path):
    journal = saturated_journal()
    load_checks = tuple(c for c in journal.checks if type(c).__name__ in ("MetricCheck", "RecoveryCheck"))
    verdict = judge(dataclasses.replace(journal, checks=load_checks))
    assert verdict.word == "INCONCLUSIVE"
    assert verdict.inconclusive == (f"check-1 p95 < 500ms (and 4 more checks): {WHY} 180 of 180 s; {FIX}",)
    write_reports(journal, verdict, tmp_path, FORMATS)
    assert json.loads((tmp_path / "verdict.json").read_text())["status"] == "inconclusive"
    assert "## ⚠️ envsim checkout: INCONCLUSIVE" in (tmp_path / "summary.md").read_text()
    assert '<span class="badge inconclusive">INCONCLUSIVE</span>' in (tmp_path / "report.html").read_text()
    properties = ET.parse(tmp_path / "junit.xml").getroot().iter("property")
    assert {p.get("name"): p.get("value") for p in properties}["verdict"] == "inconclusive"
