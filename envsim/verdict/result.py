"""What a verdict is: one result per check, and the run's overall pass/fail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from envsim.verdict.failures import PhaseFailures


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    label: str
    passed: bool
    measured: float | None  # None: nothing to measure (no data, never recovered)
    bound: float | None
    unit: str  # "s" latency/recovery, "ratio" error rate, "rps", "count", "status", "condition" (an expect held: 1)
    reason: str  # why it failed, or a short note on what was measured
    comparator: str = ""  # below | above | equals | at_most | at_least
    kind: str = ""  # metric | recovery | sql | http
    # a failed error-rate or latency check: the top failure reasons in its window, described
    top_failures: tuple[str, ...] = ()
    # why the reading is the load generator's, not the app's: the check is neither passed nor failed
    inconclusive: str = ""
    # a latency check on a busy machine the generator took much of: said beside the reading
    contention: str = ""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    results: tuple[CheckResult, ...]
    run_id: str = ""
    scenario: str = ""
    # run-level reasons the verdict fails or deserves a note (interrupted, run error, no checks)
    notes: tuple[str, ...] = ()
    # why requests failed: the top reasons over the run, then per phase
    failure_reasons: tuple[PhaseFailures, ...] = ()
    # why the run cannot say pass or fail (also among the notes): the verdict is INCONCLUSIVE, exit 4:
    # a load worker was lost, or no check failed but one read a saturated load generator
    inconclusive: tuple[str, ...] = ()
    # where the load generator ran and how hard it worked; "" for journals without samples
    generator: str = ""

    @property
    def word(self) -> str:
        """PASSED, FAILED or INCONCLUSIVE: an inconclusive run's failed checks measured the wrong load."""
        if self.inconclusive:
            return "INCONCLUSIVE"
        return "PASSED" if self.passed else "FAILED"

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if not r.passed and not r.inconclusive)

    @property
    def undecided(self) -> tuple[CheckResult, ...]:
        """The checks the saturation guard left inconclusive."""
        return tuple(r for r in self.results if r.inconclusive)

    def summary_line(self) -> str:
        passed = sum(1 for r in self.results if r.passed)
        undecided = f", {len(self.undecided)} inconclusive" if self.undecided else ""
        line = f"verdict: {self.word} ({passed}/{len(self.results)} checks passed{undecided})"
        return line if not self.notes else f"{line}; " + "; ".join(self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "status": self.word.lower(),
            "inconclusive": list(self.inconclusive),
            "generator": self.generator,
            "run_id": self.run_id,
            "scenario": self.scenario,
            "notes": list(self.notes),
            "results": [asdict(r) for r in self.results],
            "failure_reasons": [asdict(f) for f in self.failure_reasons],
        }
