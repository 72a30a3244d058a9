"""A Locust worker lost mid-run: the load after it was not what the scenario asked for.

Judged apart from the checks: a lost worker makes the verdict inconclusive (exit 4), since
both a pass and a fail would be about a load that was not run, unless the scenario says
`load.allow_worker_loss: true`. A worker whose heartbeats came again was starved, not dead:
its users ran on while Locust gave them to the other workers too, so the load was more than
asked for a while, not less.
"""

from __future__ import annotations

from envsim.journal import Journal, WorkerLoss

RUN_AGAIN = "run again, or set load.allow_worker_loss: true to judge such runs by their checks"


def worker_loss_reasons(journal: Journal) -> tuple[str, ...]:
    """Why the run is inconclusive because of lost workers; empty when none was or losses are allowed."""
    if journal.allow_worker_loss:
        return ()
    return tuple(_reason(loss) for loss in journal.worker_losses)


def _reason(loss: WorkerLoss) -> str:
    if loss.back_at is None:
        return (
            f"Locust worker {loss.worker} was lost {loss.t:.1f}s into the load ({loss.how}), so the load after "
            f"it was less than the scenario asked; {RUN_AGAIN}"
        )
    return (
        f"Locust worker {loss.worker} sent no heartbeats from {loss.t:.1f}s to {loss.back_at:.1f}s into the load "
        "(its process starved of CPU, or its network stalled): Locust gave its users to the other workers "
        "while it ran them on, so the load was not what the scenario asked; give the workers more CPU "
        f"(fewer workers per core, load.cpus, or another machine), then {RUN_AGAIN}"
    )
