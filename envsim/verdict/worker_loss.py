"""A Locust worker lost mid-run: the load after it was not what the scenario asked for.

Judged apart from the checks: a lost worker makes the verdict inconclusive (exit 4), since
both a pass and a fail would be about a load that was not run, unless the scenario says
`load.allow_worker_loss: true`.
"""

from __future__ import annotations

from envsim.journal import Journal


def worker_loss_reasons(journal: Journal) -> tuple[str, ...]:
    """Why the run is inconclusive because of lost workers; empty when none was or losses are allowed."""
    if journal.allow_worker_loss:
        return ()
    return tuple(
        f"Locust worker {loss.worker} was lost {loss.t:.1f}s into the load ({loss.how}), so the load after "
        "it was less than the scenario asked; run again, or set load.allow_worker_loss: true to judge "
        "such runs by their checks"
        for loss in journal.worker_losses
    )
