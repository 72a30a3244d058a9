"""The Locust process: `python -m envsim.run.locust_child CONFIG.json --stats-fd N [--role R]`.

Its first act, before Locust is imported, is to start a native thread that ends the process
once envsim, its parent, is gone: SIGKILLed, nobody would read the results or stop the load.
A greenlet could not be trusted with that: a locustfile that computes, or a library call that
blocks, holds gevent's loop for as long as it likes. gevent patches the process first (Locust
would anyway; a thread started before the patching deadlocks the imports after it), and the
thread is made with the original, unpatched primitives. It removes the run's directory (its
config holds rendered secrets) and exits at once. The work itself is in envsim.run.locust_child.roles (one process) and .distributed.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ORPHAN_POLL_SECONDS = 0.2


def watch_parent(parent: int, run_directory: Path) -> None:
    from gevent import monkey

    monkey.patch_all()  # as Locust's import does; before the thread, never after it
    sleep = monkey.get_original("time", "sleep")
    start_native_thread = monkey.get_original("_thread", "start_new_thread")

    def watch() -> None:
        while os.getppid() == parent:
            sleep(ORPHAN_POLL_SECONDS)
        shutil.rmtree(run_directory, ignore_errors=True)
        os._exit(3)

    start_native_thread(watch, ())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and not argv[0].startswith("-"):  # the config's directory is the run's
        watch_parent(os.getppid(), Path(argv[0]).resolve().parent)
    from envsim.run.locust_child.entry import main as run_role

    return run_role(argv)


if __name__ == "__main__":
    sys.exit(main())
