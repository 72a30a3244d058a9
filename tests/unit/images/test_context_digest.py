"""The build context digest leaves envsim's own outputs out, so a run's reports never cause a rebuild."""

from envsim.images.builder import context_digest

REPORT_FILES = ("journal.json", "report.html", "junit.xml", "summary.md", "verdict.json")


def _app(tmp_path, dockerignore=None):
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nCOPY . /app\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app/main.py").write_text("print(1)\n")
    if dockerignore is not None:
        (tmp_path / ".dockerignore").write_text(dockerignore)
    return tmp_path


def _write_outputs(root):
    for directory in (root / "reports", root / "reports/checkout", root / "out/run-1"):
        directory.mkdir(parents=True, exist_ok=True)
        for name in REPORT_FILES:
            (directory / name).write_text("{}")
    (root / ".envsim/state").mkdir(parents=True)
    (root / ".envsim/state/stack.json").write_text("{}")
    (root / "app/__pycache__").mkdir()
    (root / "app/__pycache__/main.cpython-311.pyc").write_bytes(b"\0\1")
    (root / ".git").mkdir()
    (root / ".git/HEAD").write_text("ref: refs/heads/main\n")


def test_digest_is_unchanged_by_envsim_outputs_and_changes_with_a_source_file(tmp_path):
    root = _app(tmp_path)
    first = context_digest(root, "Dockerfile")
    _write_outputs(root)
    assert context_digest(root, "Dockerfile") == first
    (root / "app/main.py").write_text("print(2)\n")
    assert context_digest(root, "Dockerfile") != first


def test_envsim_outputs_stay_out_even_when_dockerignore_negates(tmp_path):
    root = _app(tmp_path, dockerignore="*.log\n!keep.log\n")
    first = context_digest(root, "Dockerfile")
    _write_outputs(root)
    assert context_digest(root, "Dockerfile") == first
    (root / "keep.log").write_text("kept")  # negation: conservative, everything else counts
    assert context_digest(root, "Dockerfile") != first


def test_a_source_package_named_reports_below_the_top_still_counts(tmp_path):
    root = _app(tmp_path)
    (root / "app/reports").mkdir()
    (root / "app/reports/__init__.py").write_text("")
    first = context_digest(root, "Dockerfile")
    (root / "app/reports/views.py").write_text("x = 1\n")
    assert context_digest(root, "Dockerfile") != first
