"""`envsim run`'s exit code from its verdicts: 1 only when a check of the app failed."""

from envsim.cli.cmd_run import _exit_code
from envsim.verdict.result import Verdict

PASSED = Verdict(True, ())
FAILED = Verdict(False, ())  # a check failed
BROKE = Verdict(False, (), notes=("the run failed: envsim's own toxiproxy stopped during the run",))
INCONCLUSIVE = Verdict(False, (), inconclusive=("worker-2 was lost",))


def test_a_run_that_broke_is_an_environment_problem_not_a_failed_check():
    assert _exit_code([BROKE], [True]) == 3
    assert _exit_code([PASSED, BROKE], [False, True]) == 3
    assert _exit_code([INCONCLUSIVE, BROKE], [False, True]) == 3


def test_a_failed_check_elsewhere_in_a_gate_is_still_a_finding():
    assert _exit_code([FAILED, BROKE], [False, True]) == 1
    assert _exit_code([FAILED], [False]) == 1
    assert _exit_code([PASSED, INCONCLUSIVE], [False, False]) == 4
    assert _exit_code([PASSED, PASSED], [False, False]) == 0
