import io

from report_journals import sample_journal

from envsim.reports.terminal import print_verdict, render_plain
from envsim.verdict import judge


def test_plain_table_is_aligned_and_ends_with_the_verdict():
    text = render_plain(judge(sample_journal()))
    lines = text.splitlines()
    assert lines[0].split() == ["result", "check", "measured", "bound", "detail"]
    measured_column = lines[0].index("measured")
    assert all(line[measured_column - 2 : measured_column] == "  " for line in lines[1:8])
    assert lines[-1] == "verdict: FAILED (4/7 checks passed)"
    assert "\x1b[" not in text


def test_rich_table_keeps_user_text_literal():
    out = io.StringIO()
    print_verdict(judge(sample_journal()), stream=out, rich=True)
    text = out.getvalue()
    # square brackets are rich markup; escaped, the endpoint in the label is printed as written
    assert "check-4 p95 [GET" in text
    assert "verdict: FAILED (4/7 checks passed)" in text
