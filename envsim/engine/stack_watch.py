"""Noticing that something other than envsim removed part of a stack, from the engine's events.

A container removed under a run would otherwise surface late and misleadingly: as failed
requests judged against the app (exit 1, "the build failed, as it should"), or as a NotFound
traceback. The watch follows the engine's `destroy` events for the stack's containers on a
client of its own; `check()` raises StackChanged, naming what went, within a second of it.
Only used while envsim itself removes nothing of the stack (during the load).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from envsim.errors import EnvironmentProblem
from envsim.plan.faults import NET_HELPER_ROLE
from envsim.plan.stack import LOAD_WORKER_ROLE, ROLE_LABEL, SERVICE_LABEL, STACK_LABEL

if TYPE_CHECKING:
    import docker

OUTSIDE_REMOVAL_HINT = (
    "find what removes envsim's containers (a `docker rm`, `docker system prune`, an "
    "`envsim down` from another shell or state directory), then run again"
)


class StackChanged(EnvironmentProblem):
    """Part of a stack was removed by something other than envsim while envsim used it."""

    def __init__(self, stack: str, removed: list[str], during: str):
        self.stack, self.removed = stack, tuple(removed)
        super().__init__(
            f"stack {stack}: {', '.join(removed)} {'was' if len(removed) == 1 else 'were'} removed from outside "
            f"envsim during {during}; envsim stopped there",
            hint=OUTSIDE_REMOVAL_HINT,
        )


def removed_container(error: BaseException) -> bool:
    """Whether `error` is the engine saying a container envsim was using no longer exists."""
    from docker.errors import NotFound

    return isinstance(error, NotFound)


class StackWatch:
    """Follows the engine's container `destroy` events for one stack; `check(during)` raises
    StackChanged once any arrived."""

    def __init__(self, stack: str):
        self.stack = stack
        self.removed: list[str] = []
        self._client: docker.DockerClient | None = None
        self._events: Any = None  # the SDK's CancellableStream, once subscribed
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> StackWatch:
        import docker

        # timeout=None: the events stream is silent for as long as nothing happens
        client = self._client = docker.from_env(timeout=None)  # type: ignore[arg-type]
        self._thread = threading.Thread(target=self._watch, args=(client,), name="envsim-stack-watch", daemon=True)
        self._thread.start()
        self._ready.wait(10.0)  # subscribed before returning: a removal right after start is seen
        return self

    def stop(self) -> None:
        events, self._events = self._events, None
        if events is not None:
            events.close()  # ends the blocking read in the watch thread
        if self._thread is not None:
            self._thread.join(5.0)
        if self._client is not None:
            self._client.close()

    def check(self, during: str) -> None:
        if self.removed:
            raise StackChanged(self.stack, list(self.removed), during)

    def _watch(self, client: docker.DockerClient) -> None:
        filters = {"type": "container", "event": "destroy", "label": f"{STACK_LABEL}={self.stack}"}
        try:
            self._events = client.events(filters=filters, decode=True)
        except Exception:  # no events from this engine: the engine watch reports an engine gone
            return
        finally:
            self._ready.set()
        try:
            for event in self._events:
                attributes = (event.get("Actor") or {}).get("Attributes") or {}
                if attributes.get(ROLE_LABEL) in (NET_HELPER_ROLE, LOAD_WORKER_ROLE):
                    continue  # a network fault's helper (its fault cleared), a Locust worker (the run's own)
                name = attributes.get("name") or event.get("id", "?")[:12]
                service = attributes.get(SERVICE_LABEL)
                self.removed.append(f"container {name}" + (f" (service {service})" if service else ""))
        except Exception:  # the stream closed by stop(), or the engine went away (the engine watch says so)
            return
