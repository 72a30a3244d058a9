"""The verdict: pure functions from a journal (and the checks it carries) to pass/fail."""

from envsim.verdict.judge import judge
from envsim.verdict.result import CheckResult, Verdict
from envsim.verdict.serialize import check_id, checks_from_dicts, checks_to_dicts

__all__ = ["CheckResult", "Verdict", "check_id", "checks_from_dicts", "checks_to_dicts", "judge"]
