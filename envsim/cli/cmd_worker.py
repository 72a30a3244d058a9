"""`envsim worker`: lend this machine's CPU to a run on another machine, as a Locust worker."""

from __future__ import annotations

import click


@click.command()
@click.option("--master", "master", required=True, metavar="HOST:PORT", help="The run's Locust master.")
@click.option("--name", default="", help="This worker's name in the run's journal (default: HOST-PID).")
def worker(master: str, name: str) -> int:
    """Join a run as one of its Locust workers, run the users the master gives this machine,
    and exit when the run ends.

    The run waits for its workers: start it with `envsim run SCENARIO --workers N --workers-on
    remote --master-bind ADDRESS` where ADDRESS is the run machine's address the workers reach,
    then start N `envsim worker`s. The master refuses a worker whose envsim or Locust version
    differs from its own. The load's target URL must be reachable from this machine too, and
    the load's config (headers with secrets included) travels over the master's port: keep it
    on a private network.

    Exit codes: 0 the run ended, 2 invalid input, 3 refused (versions differ, the run has all its
    workers) or no master answered, 130 interrupted (the run notes this worker as lost).

    \b
    Examples:
      envsim worker --master 10.0.0.5:5557
      envsim worker --master 10.0.0.5:5557 --name rack2-a
    """
    from envsim import api

    return api.join_run(master, name=name)
