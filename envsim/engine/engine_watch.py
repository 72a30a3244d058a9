"""Noticing that the Docker engine went away, and saying so in words a user can act on.

During the load nothing else asks the engine anything (Locust talks to published ports,
faults go through Toxiproxy's and the stubs' APIs), so an engine that stops would go
unnoticed until the end of the load and then surface as a connection traceback. A watch
pings it on a connection of its own, and the run stops within seconds of it going away.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from envsim.engine.docker_engine import engine_address, engine_unreachable, why_unreachable
from envsim.errors import EnvironmentProblem

PING_INTERVAL = 1.0  # seconds between pings
PING_TIMEOUT = 3.0  # an engine that takes longer than this to answer a ping is not serving
MISSES = 2  # consecutive failed pings before the engine counts as gone: one may be a hiccup


class EngineLost(EnvironmentProblem):
    """The engine stopped answering while envsim was using it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"the Docker engine stopped answering at {engine_address()}: {reason}")


class EngineWatch:
    """Pings the engine every PING_INTERVAL on a client of its own; `check()` raises EngineLost
    once MISSES pings in a row failed."""

    def __init__(self, interval: float = PING_INTERVAL, misses: int = MISSES):
        self.interval, self.misses = interval, misses
        self.lost: str | None = None  # why the engine counts as gone
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> EngineWatch:
        self._thread = threading.Thread(target=self._watch, name="envsim-engine-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(PING_TIMEOUT + self.interval)

    def check(self) -> None:
        if self.lost is not None:
            raise EngineLost(self.lost)

    def _watch(self) -> None:
        import docker

        failed = 0
        client = None
        while not self._stop.wait(self.interval):
            try:
                # a fresh client after a failure: its pooled connection died with the engine
                # types-docker says int; docker-py hands the timeout to requests, which takes seconds as a float
                client = client or docker.from_env(timeout=PING_TIMEOUT)  # type: ignore[arg-type]
                client.ping()
                failed = 0
            except Exception as error:  # whatever the SDK raises, the engine did not answer
                client, failed = None, failed + 1
                if failed >= self.misses:
                    self.lost = why_unreachable(error)
                    return


@contextlib.contextmanager
def engine_loss_named(stack: str, command: str) -> Iterator[None]:
    """Turns the engine going away under `command` into a message that names the engine, what
    envsim did about it, and how to remove what it could not."""
    try:
        yield
    except Exception as error:
        if not (isinstance(error, EngineLost) or engine_unreachable(error)):
            raise
        reason = error.reason if isinstance(error, EngineLost) else why_unreachable(error)
        raise EnvironmentProblem(
            f"the Docker engine stopped answering at {engine_address()} during `envsim {command}`: {reason}; "
            f"envsim stopped the run and reverted the faults it could, but could not remove stack {stack}",
            hint=f"start the engine again (or point DOCKER_HOST back at it), then `envsim down --name {stack}` "
            "removes what is left",
        ) from None


def engine_gone(error: BaseException | None) -> bool:
    """Whether `error` says the engine is gone, so removing anything from it is pointless."""
    return error is not None and (isinstance(error, EngineLost) or engine_unreachable(error))
