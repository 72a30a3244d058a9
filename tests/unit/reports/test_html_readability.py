"""The HTML report as a reader sees it: long lines wrap instead of widening the page, envsim's
own Python is labelled as envsim's, and only a stand-in of another series is shown in red."""

from __future__ import annotations

import dataclasses
import re

from report_journals import sample_journal

from envsim.journal import LogExcerpt
from envsim.reports.html_report import render_html
from envsim.reports.markdown import render_markdown
from envsim.verdict import judge

SERIES = {
    "requested": "postgres:11.5-alpine",
    "stand_in": "Debian bullseye's PostgreSQL 11",
    "suite": "bullseye",
    "version": "11",
    "match": "series",
}
NEAREST = {
    "requested": "postgres:9.6",
    "stand_in": "Debian bullseye's PostgreSQL 13",
    "suite": "bullseye",
    "version": "13",
    "match": "nearest",
}
RED = "#b91c1c"


def _rules(html: str) -> dict[str, dict[str, str]]:
    """The report's CSS as selector -> {property: value}, one entry per selector of a rule."""
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(d.split(":", 1) for d in body.split(";") if ":" in d)
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update(declarations)
    return rules


def _render(**environment):
    journal = sample_journal()
    journal = dataclasses.replace(journal, environment={**journal.environment, **environment})
    return render_html(journal, judge(journal))


def test_log_and_environment_blocks_wrap_long_lines():
    long_line = "x" * 2000
    journal = dataclasses.replace(sample_journal(), logs=(LogExcerpt("api", 180.0, (long_line,)),))
    html = render_html(journal, judge(journal))
    assert f'<pre class="logs">{long_line}</pre>' in html
    rules = _rules(html)
    assert rules["pre"]["white-space"] == "pre-wrap" and rules["pre"]["overflow-wrap"] == "anywhere"
    assert rules["#environment td"]["overflow-wrap"] == "anywhere"
    assert rules["#run td"]["overflow-wrap"] == "anywhere"


def test_envsims_own_python_is_labelled_as_envsims():
    html = _render()
    assert "<tr><th>envsim&#x27;s Python</th><td>3.11.9</td></tr>" in html
    assert "<th>python</th>" not in html


def test_a_same_series_stand_in_is_a_note_not_a_red_warning():
    html = _render(stand_ins={"shop-db-0": SERIES})
    assert "other versions" not in html and 'id="stand-ins"' not in html
    line = "shop-db-0: Debian bullseye&#x27;s PostgreSQL 11 in place of postgres:11.5-alpine"
    assert f'<ul class="stand-in-series"><li>{line} (same series, patch level not pinned)</li></ul>' in html
    colour = _rules(html)[".stand-in-series"]["color"]
    assert colour != RED and colour != _rules(html)[".notes"]["color"]


def test_another_series_is_red_and_listed_apart_from_a_same_series_one():
    html = _render(stand_ins={"shop-db-0": NEAREST, "shop-db-1": SERIES})
    red = html.split('<ul class="notes">', 1)[1].split("</ul>", 1)[0]
    assert "shop-db-0" in red and "shop-db-1" not in red
    assert 'id="stand-ins"' in html and "other versions than the profile pins" in html
    assert _rules(html)[".notes"]["color"] == RED
    quiet = html.split('<ul class="stand-in-series">', 1)[1].split("</ul>", 1)[0]
    assert "shop-db-1" in quiet and "shop-db-0" not in quiet


def test_the_markdown_summary_warns_only_of_another_series():
    journal = sample_journal()
    series_only = dataclasses.replace(journal, environment={**journal.environment, "stand_ins": {"db": SERIES}})
    assert "Offline stand-ins" not in render_markdown(series_only, judge(series_only))
    mixed = dataclasses.replace(journal, environment={**journal.environment, "stand_ins": {"a": NEAREST, "b": SERIES}})
    text = render_markdown(mixed, judge(mixed))
    assert "> - a: Debian bullseye's PostgreSQL 13 in place of postgres:9.6" in text
    assert "> - b:" not in text
