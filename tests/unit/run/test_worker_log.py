"""The master's worker messages as journal records, and which workers may join (plain data)."""

from __future__ import annotations

from envsim.journal import WorkerLoss, WorkerSecond
from envsim.run.worker_log import WorkerLog, version_mismatch

MINE = {"envsim": "0.1.0", "locust": "2.47.0"}


def test_a_second_that_comes_twice_adds_its_late_requests_and_keeps_the_users():
    log = WorkerLog()
    log.add({"type": "worker_second", "worker": "worker-2", "t": 1, "users": 2, "requests": 10, "cpu": 20.0})
    log.add({"type": "worker_second", "worker": "worker-1", "t": 1, "users": 2, "requests": 9, "cpu": 30.0})
    log.add({"type": "worker_second", "worker": "worker-2", "t": 1, "users": 0, "requests": 3, "cpu": None})
    assert log.seconds() == (WorkerSecond("worker-1", 1, 2, 9, 30.0), WorkerSecond("worker-2", 1, 2, 13, 20.0))


def test_a_lost_worker_is_kept_and_returned_other_messages_are_not_its_business():
    log = WorkerLog()
    assert log.add({"type": "second", "t": 0, "users": 1, "endpoints": {}}) is None
    loss = log.add({"type": "worker_lost", "worker": "worker-2", "t": 7.25, "how": "stopped sending heartbeats"})
    assert loss == WorkerLoss("worker-2", 7.25, "stopped sending heartbeats")
    assert log.losses == [loss]


def test_a_worker_whose_heartbeats_come_again_ends_its_latest_loss_and_can_be_lost_again():
    log = WorkerLog()
    log.add({"type": "worker_lost", "worker": "worker-1", "t": 3.0, "how": "stopped sending heartbeats"})
    log.add({"type": "worker_lost", "worker": "worker-2", "t": 4.0, "how": "stopped sending heartbeats"})
    log.add({"type": "worker_back", "worker": "worker-2", "t": 9.5})
    log.add({"type": "worker_lost", "worker": "worker-2", "t": 20.0, "how": "stopped sending heartbeats"})
    assert log.losses == [
        WorkerLoss("worker-1", 3.0, "stopped sending heartbeats"),
        WorkerLoss("worker-2", 4.0, "stopped sending heartbeats", back_at=9.5),
        WorkerLoss("worker-2", 20.0, "stopped sending heartbeats"),
    ]


def test_a_worker_joins_only_with_the_same_envsim_and_locust_versions():
    assert version_mismatch(dict(MINE), MINE) is None
    assert version_mismatch({"envsim": "0.1.0", "locust": "2.46.1"}, MINE) == (
        "the worker runs locust 2.46.1 (the master runs 2.47.0)"
    )
    assert version_mismatch({}, MINE) == (
        "the worker runs envsim (unknown) (the master runs 0.1.0) and locust (unknown) (the master runs 2.47.0)"
    )
