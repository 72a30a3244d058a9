"""Where a run writes its journal and reports when neither --reports nor `reports.dir` is given."""

from pathlib import Path
from types import SimpleNamespace

from envsim.api.runs import reports_dir_for
from envsim.images.builder import context_digest


def _scenario(root: Path, name="Checkout peak", reports_dir=None):
    return SimpleNamespace(root=root, name=name, reports_dir=reports_dir)


def test_default_is_beside_the_repo_root_per_scenario_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "..")
    assert reports_dir_for(_scenario(tmp_path)) == tmp_path / "reports" / "checkout-peak"


def test_reports_option_then_scenario_setting_win(tmp_path):
    configured = tmp_path / "out"
    assert reports_dir_for(_scenario(tmp_path, reports_dir=configured)) == configured
    assert reports_dir_for(_scenario(tmp_path, reports_dir=configured), "cli-out") == Path("cli-out")


def test_default_reports_do_not_change_a_repo_root_build_context(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY . /app\n")
    (tmp_path / "main.py").write_text("print(1)\n")
    before = context_digest(tmp_path, "Dockerfile")
    out = reports_dir_for(_scenario(tmp_path))
    out.mkdir(parents=True)
    for name in ("journal.json", "verdict.json", "junit.xml", "report.html", "summary.md"):
        (out / name).write_text("{}")
    assert context_digest(tmp_path, "Dockerfile") == before
