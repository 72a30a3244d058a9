from report_journals import sample_journal

from envsim.reports.charts import line_chart, load_series, nice_step


def test_nice_steps_are_round():
    assert nice_step(80) == 20
    assert nice_step(600) == 200
    assert nice_step(0.07) == 0.02
    assert nice_step(0) == 1.0


def test_series_has_one_value_per_second_and_gaps_for_silent_seconds():
    journal = sample_journal(seconds=20)
    series = load_series(journal)
    assert series.seconds == tuple(range(20))
    assert series.rps[0] == 60.0
    silent = journal.__class__(**{**journal.__dict__, "series": tuple(p for p in journal.series if p.t != 5)})
    gapped = load_series(silent)
    assert gapped.rps[5] == 0.0 and gapped.p95_ms[5] is None and gapped.error_pct[5] is None


def test_a_gap_breaks_the_line_into_two_subpaths():
    svg = line_chart("x", (1.0, 2.0, None, 3.0, 4.0), sample_journal(seconds=5), "", "#000", "c")
    path = next(line for line in svg.splitlines() if 'class="series"' in line)
    assert path.count("M") == 2 and path.count("L") == 2
