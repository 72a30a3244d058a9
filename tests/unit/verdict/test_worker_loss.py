"""A Locust worker lost mid-run: the verdict is INCONCLUSIVE (exit 4) unless the scenario allows it."""

from __future__ import annotations

from verdict_journals import journal

from envsim.config.check_kinds.metric import MetricCheck
from envsim.journal import Journal, WorkerLoss
from envsim.verdict import judge

LOSS = WorkerLoss("worker-2", 12.5, "stopped sending heartbeats")
CHECK = (MetricCheck("p95", "below", 1.0),)


def test_a_lost_worker_makes_a_passing_run_inconclusive_and_is_named():
    verdict = judge(journal(CHECK, worker_losses=(LOSS,)))
    assert not verdict.passed and verdict.word == "INCONCLUSIVE"
    assert all(result.passed for result in verdict.results)  # the checks themselves held
    [reason] = verdict.inconclusive
    assert "worker-2 was lost 12.5s into the load (stopped sending heartbeats)" in reason
    assert "load.allow_worker_loss: true" in reason
    assert reason in verdict.notes and verdict.summary_line().startswith("verdict: INCONCLUSIVE")
    assert verdict.to_dict()["status"] == "inconclusive"


def test_a_worker_starved_of_its_heartbeats_is_named_with_the_time_it_was_away():
    starved = WorkerLoss("worker-3", 34.0, "stopped sending heartbeats", back_at=41.2)
    verdict = judge(journal(CHECK, worker_losses=(starved,)))
    assert verdict.word == "INCONCLUSIVE"
    [reason] = verdict.inconclusive
    assert "worker-3 sent no heartbeats from 34.0s to 41.2s into the load" in reason
    assert "starved of CPU" in reason and "less than the scenario asked" not in reason
    assert Journal.from_json(journal(CHECK, worker_losses=(starved,)).to_json()).worker_losses == (starved,)


def test_inconclusive_outweighs_a_failed_check_measured_on_the_wrong_load():
    failing = (MetricCheck("p95", "below", 0.001),)
    verdict = judge(journal(failing, worker_losses=(LOSS,)))
    assert verdict.word == "INCONCLUSIVE"


def test_allowed_worker_loss_is_judged_by_the_checks():
    verdict = judge(journal(CHECK, worker_losses=(LOSS,), allow_worker_loss=True))
    assert verdict.passed and verdict.word == "PASSED" and verdict.inconclusive == ()


def test_the_loss_and_the_allowance_survive_the_journal_file():
    written = journal(CHECK, worker_losses=(LOSS,), allow_worker_loss=True)
    read = Journal.from_json(written.to_json())
    assert read.worker_losses == (LOSS,) and read.allow_worker_loss
