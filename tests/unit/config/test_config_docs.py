"""docs/format.md's examples are valid files: the documentation and the schema agree."""

from __future__ import annotations

import re
from pathlib import Path

from config_helpers import messages, write

DOC = Path(__file__).resolve().parents[3] / "docs" / "format.md"


def test_format_doc_examples_validate(tmp_path, monkeypatch):
    profile_text, scenario_text = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)[:2]
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "examples/shop/Dockerfile", "FROM scratch\n")
    write(tmp_path, "examples/shop/seeds/schema.sql", "select 1;\n")
    write(tmp_path, "profiles/base.yaml", "envsim: 1\nservices: {cache: {image: 'redis:6'}}\n")
    profile = write(tmp_path, "profiles/prod-like.yaml", profile_text)
    scenario = write(tmp_path, "scenarios/checkout.yaml", scenario_text)
    assert messages([profile, scenario], env={"VENDOR_KEY": "k"}) == []
