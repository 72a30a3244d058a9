"""A release gate: several scenarios run one after another, one combined verdict and JUnit file."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envsim.api.backends import EngineChoice
from envsim.api.loading import ScenarioLike, load_scenario
from envsim.api.run_outputs import unwritable
from envsim.api.runs import DEFAULT_REPORTS_DIR, RunResult, run
from envsim.config.scenario_model import Scenario
from envsim.errors import InputError
from envsim.fileio import write_atomic
from envsim.plan.stack import safe_name
from envsim.reports.junit import render_gate_junit

GATE_DIR = "gate"


@dataclass(frozen=True)
class GateResult:
    results: tuple[RunResult, ...]  # in the order run; fewer than asked when one was interrupted
    junit_path: Path | None

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def inconclusive(self) -> bool:
        """No scenario failed, but one could not be judged (its load generator was saturated)."""
        return bool(self.results) and not self.passed and all(r.passed or r.inconclusive for r in self.results)

    @property
    def interrupted(self) -> bool:
        return any(r.journal.interrupted for r in self.results)

    def summary_line(self, total: int | None = None) -> str:
        passed = sum(1 for r in self.results if r.passed)
        word = "PASSED" if self.passed else "INCONCLUSIVE" if self.inconclusive else "FAILED"
        return f"gate: {word} ({passed}/{total or len(self.results)} scenarios passed)"


def load_all(
    scenarios: Sequence[ScenarioLike],
    env: Mapping[str, str],
    users: int | None,
    duration: str | float | None,
    generator_cpus: str | tuple[int, ...] | None = None,
    backend: str = "docker",
) -> list[Scenario]:
    """Every scenario loaded before any runs, so every input problem is told at once (also what
    a run on `backend` cannot do)."""
    loaded, errors = [], []
    for scenario in scenarios:
        try:
            loaded.append(
                load_scenario(
                    scenario, env=env, users=users, duration=duration, generator_cpus=generator_cpus, backend=backend
                )
            )
        except InputError as error:
            errors.append(error)
    if errors and all(error.problems for error in errors):
        raise InputError([problem for error in errors for problem in error.problems])
    if errors:
        raise InputError("\n".join(str(error) for error in errors))
    return loaded


def run_gate(
    scenarios: Sequence[ScenarioLike],
    *,
    reports_dir: Path | None = None,
    users: int | None = None,
    duration: str | float | None = None,
    env: Mapping[str, str] | None = None,
    on_result: Callable[[int, RunResult], None] | None = None,
    **options: Any,
) -> GateResult:
    """Run `scenarios` in order (each as `run()` does) and write one JUnit file, a test suite per
    scenario. With `reports_dir`, scenario S writes to REPORTS/S/ and the JUnit file is
    REPORTS/junit.xml; without, each writes where it would alone and the JUnit file goes to
    the first scenario's repo, reports/gate/junit.xml. An interrupted scenario ends the gate."""
    env = dict(os.environ if env is None else env)
    engine = options.get("engine") or EngineChoice()
    loaded = load_all(scenarios, env, users, duration, options.get("generator_cpus"), engine.name(env))
    results: list[RunResult] = []
    for index, scenario in enumerate(loaded):
        out = Path(reports_dir) / safe_name(scenario.name) if reports_dir else None
        result = run(scenario, reports_dir=out, env=env, **options)
        results.append(result)
        if on_result is not None:
            on_result(index, result)
        if result.journal.interrupted:
            break
    junit = (Path(reports_dir) if reports_dir else Path(loaded[0].root) / DEFAULT_REPORTS_DIR / GATE_DIR) / "junit.xml"
    try:
        write_atomic(junit, render_gate_junit([(r.journal, r.verdict) for r in results]))
    except OSError as error:  # each scenario's journal is kept; the JUnit file is made from them
        raise unwritable(junit.parent, error, kept=tuple(r.journal_path for r in results if r.journal_path)) from None
    return GateResult(tuple(results), junit)
