"""No module in envsim/ is longer than 400 lines: one job per module, and a module past that
size has usually taken a second one (split it by job, as plan/kubernetes_* is)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "envsim"
LIMIT = 400


def long_modules(package: Path, limit: int = LIMIT) -> dict[str, int]:
    """Module path (relative to the package) -> lines, for every module over `limit`."""
    found: dict[str, int] = {}
    for path in sorted(package.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found[path.relative_to(package).as_posix()] = lines
    return found


def test_no_module_is_over_400_lines():
    assert long_modules(PACKAGE) == {}


def test_the_counter_sees_a_long_module(tmp_path):
    (tmp_path / "short.py").write_text("x = 1\n" * LIMIT)
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "long.py").write_text("x = 1\n" * (LIMIT + 1))
    assert long_modules(tmp_path) == {"deep/long.py": LIMIT + 1}
