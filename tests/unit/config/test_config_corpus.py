"""The invalid-input corpus: every tests/invalid/*.yaml states the exact problems `envsim validate` reports.

Each expected problem is a comment line at the top of the file:
    # expect: LINE:COL: PATH: MESSAGE
and the run must print exactly those (prefixed with the file name), then the count, and exit 2.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from config_helpers import run_envsim

CORPUS = Path(__file__).resolve().parents[2] / "invalid"
CASES = sorted(CORPUS.glob("*.yaml"))
EXPECT = re.compile(rb"^# expect: (.*)$", re.MULTILINE)


def expected_problems(path: Path) -> list[str]:
    return [f"{path.name}:{m.decode('utf-8')}" for m in EXPECT.findall(path.read_bytes())]


def test_corpus_is_present():
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_invalid_file_reports_exactly_its_expected_problems(case: Path, monkeypatch):
    expected = expected_problems(case)
    assert expected, f"{case.name} states no '# expect:' lines"
    monkeypatch.chdir(CORPUS)
    code, out, err = run_envsim(["validate", case.name], monkeypatch)
    count = len(expected)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [*expected, f"{count} problem{'s' if count != 1 else ''} found"]
    assert "Traceback" not in err
