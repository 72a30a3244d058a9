"""What the Locust master says about its workers during a run, kept for the journal; and
which workers it may take (plain data, no Locust import)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from envsim.journal import WorkerLoss, WorkerSecond


class WorkerLog:
    """Per-worker seconds and losses from the master's messages (one thread adds to it)."""

    def __init__(self) -> None:
        # (worker, t) -> [users, requests, cpu]: a second can come twice (its late requests)
        self._seconds: dict[tuple[str, int], list[Any]] = {}
        self.losses: list[WorkerLoss] = []

    def add(self, message: dict[str, Any]) -> WorkerLoss | None:
        """Keep a worker message; the loss it reports, if it is one."""
        if message.get("type") == "worker_second":
            key = (str(message["worker"]), int(message["t"]))
            entry = self._seconds.setdefault(key, [0, 0, None])
            entry[0] = max(entry[0], int(message["users"]))
            entry[1] += int(message["requests"])
            if message.get("cpu") is not None:
                entry[2] = float(message["cpu"])
        elif message.get("type") == "worker_lost":
            loss = WorkerLoss(str(message["worker"]), float(message["t"]), str(message.get("how", "")))
            self.losses.append(loss)
            return loss
        elif message.get("type") == "worker_back":
            self._came_back(str(message["worker"]), float(message["t"]))
        return None

    def _came_back(self, worker: str, t: float) -> None:
        """The worker's latest loss ends at t: its heartbeats came again."""
        for index in range(len(self.losses) - 1, -1, -1):
            loss = self.losses[index]
            if loss.worker == worker and loss.back_at is None:
                self.losses[index] = replace(loss, back_at=t)
                return

    def seconds(self) -> tuple[WorkerSecond, ...]:
        return tuple(
            WorkerSecond(worker, t, users, requests, cpu)
            for (worker, t), (users, requests, cpu) in sorted(
                self._seconds.items(), key=lambda item: (item[0][1], item[0][0])
            )
        )


def version_mismatch(theirs: dict[str, Any], mine: dict[str, str]) -> str | None:
    """Why a worker with `theirs` versions may not join a master with `mine`, or None.

    Versions must match exactly: a different envsim may build a different load from the same
    config, and Locust itself only warns about a different version."""
    differing = [
        f"{name} {theirs.get(name) or '(unknown)'} (the master runs {version})"
        for name, version in mine.items()
        if theirs.get(name) != version
    ]
    return "the worker runs " + " and ".join(differing) if differing else None
