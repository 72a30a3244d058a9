"""The release gate's scenarios: one per failure class, each in two variants that differ only
in the profile (gate-buggy / gate-fixed) and where the reports go. scenarios/gate-fixed/
holds the fixed variant's copies (a scenario names its profile and has no `extends`); this
test keeps them in step with scenarios/gate-*.yaml, and checks every file validates.

To regenerate the copies after editing a buggy-variant scenario:
    python3 tests/unit/test_gate_scenarios.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
CLASSES = ("index", "timeout", "retry", "token", "version", "session", "race")
BUGGY_NOTE = (
    "# The same scenario against the fixed build: scenarios/gate-fixed/{name} (a copy naming profile gate-fixed)."
)
FIXED_NOTE = "# GENERATED from scenarios/{name} for the fixed build (python3 tests/unit/test_gate_scenarios.py)."


def fixed_variant(name: str, text: str) -> str:
    cls = name.removeprefix("gate-").removesuffix(".yaml")
    replacements = [
        (BUGGY_NOTE.format(name=name), FIXED_NOTE.format(name=name)),
        ("profile: gate-buggy\n", "profile: gate-fixed\n"),
        (f"reports: {{dir: ../reports/gate-buggy/{cls}}}", f"reports: {{dir: ../../reports/gate-fixed/{cls}}}"),
    ]
    for old, new in replacements:
        assert text.count(old) == 1, f"scenarios/{name}: expected exactly one {old!r}"
        text = text.replace(old, new)
    return text


def write_fixed_variants() -> None:
    (SCENARIOS / "gate-fixed").mkdir(exist_ok=True)
    for cls in CLASSES:
        name = f"gate-{cls}.yaml"
        (SCENARIOS / "gate-fixed" / name).write_text(
            fixed_variant(name, (SCENARIOS / name).read_text("utf-8")), "utf-8"
        )


def test_one_scenario_per_class_in_both_variants():
    assert sorted(p.name for p in SCENARIOS.glob("gate-*.yaml")) == sorted(f"gate-{c}.yaml" for c in CLASSES)
    for cls in CLASSES:
        name = f"gate-{cls}.yaml"
        fixed = (SCENARIOS / "gate-fixed" / name).read_text("utf-8")
        assert fixed == fixed_variant(name, (SCENARIOS / name).read_text("utf-8")), (
            f"scenarios/gate-fixed/{name} is out of step: python3 tests/unit/test_gate_scenarios.py"
        )


def test_gate_files_validate():
    import subprocess

    files = [str(p) for p in sorted(SCENARIOS.glob("gate-*.yaml")) + sorted((SCENARIOS / "gate-fixed").glob("*.yaml"))]
    files += [str(REPO / "profiles" / "gate-buggy.yaml"), str(REPO / "profiles" / "gate-fixed.yaml")]
    result = subprocess.run(
        [sys.executable, "-m", "envsim", "validate", *files], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


if __name__ == "__main__":
    write_fixed_variants()
