"""The verdict: pure functions from a journal (and the checks it carries) to pass/fail."""

from envsim.verdict.judge import judge
from envsim.verdict.result import CheckResult, Verdict

__all__ = ["CheckResult", "Verdict", "judge"]
