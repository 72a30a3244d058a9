"""A dependency-aware parallel executor that knows nothing about what it runs.

Nodes are names; `deps[node]` lists the nodes that must finish successfully before `node`
may start. Each node's action runs in a bounded thread pool as soon as its dependencies are
done, so independent chains proceed side by side instead of level by level. The stack layer
uses it for "start db and cache, then api" and, in reverse, for teardown.

All observer callbacks and all scheduling decisions happen on the calling thread: observers
need no locking, and a failure or a cancel is seen before the next node is started.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

OnFailure = Literal["stop", "skip_dependents", "continue"]

# How often the scheduler wakes while nodes run, to notice a cancel Event promptly.
_POLL_SECONDS = 0.05


class GraphError(ValueError):
    """The dependency mapping is not a usable graph (unknown node, cycle)."""


class CycleError(GraphError):
    def __init__(self, cycle: Sequence[str]):
        self.cycle = tuple(cycle)
        super().__init__("dependency cycle: " + " -> ".join(self.cycle) + " (each needs the next)")


@dataclass(frozen=True)
class ExecutionResult:
    done: tuple[str, ...]  # in completion order
    failed: Mapping[str, BaseException] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)  # node -> why it never started
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.cancelled


class ExecutionEvents:
    """Progress hooks with no-op defaults: subclass and override what you need."""

    def on_started(self, node: str) -> None:
        pass

    def on_done(self, node: str) -> None:
        pass

    def on_failed(self, node: str, error: BaseException) -> None:
        pass

    def on_skipped(self, node: str, reason: str) -> None:
        pass


def checked_graph(deps: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """The mapping as sets, after rejecting unknown dependencies and cycles."""
    graph = {node: frozenset(node_deps) for node, node_deps in deps.items()}
    for node in sorted(graph):
        unknown = sorted(graph[node] - graph.keys())
        if unknown:
            raise GraphError(f"{node!r} depends on unknown node(s): {', '.join(map(repr, unknown))}")
    cycle = _find_cycle(graph)
    if cycle:
        raise CycleError(cycle)
    return graph


def reversed_graph(deps: Mapping[str, Sequence[str]]) -> dict[str, frozenset[str]]:
    """Each node then waits for its dependents instead: the order to tear things down."""
    graph = checked_graph(deps)
    dependents: dict[str, set[str]] = {node: set() for node in graph}
    for node, node_deps in graph.items():
        for dep in node_deps:
            dependents[dep].add(node)
    return {node: frozenset(users) for node, users in dependents.items()}


def dependency_levels(deps: Mapping[str, Sequence[str]], *, reverse: bool = False) -> tuple[tuple[str, ...], ...]:
    """Nodes grouped by depth: level 0 needs nothing, level n needs something of level n-1.

    Deterministic (sorted inside a level), so plans print the same way every time.
    """
    graph = reversed_graph(deps) if reverse else checked_graph(deps)
    level: dict[str, int] = {}

    def depth(node: str) -> int:
        if node not in level:
            level[node] = 1 + max((depth(dep) for dep in graph[node]), default=-1)
        return level[node]

    for node in sorted(graph):
        depth(node)
    count = max(level.values(), default=-1) + 1
    return tuple(tuple(sorted(n for n in graph if level[n] == i)) for i in range(count))


def execute(
    deps: Mapping[str, Sequence[str]],
    action: Callable[[str], object],
    *,
    max_workers: int = 4,
    cancel: threading.Event | None = None,
    events: ExecutionEvents | None = None,
    reverse: bool = False,
    on_failure: OnFailure = "stop",
) -> ExecutionResult:
    """Run `action(node)` for every node, each once all its dependencies succeeded.

    on_failure:
      "stop"             start nothing new after a failure; running nodes finish (startup)
      "skip_dependents"  skip what depends on the failed node; independent nodes go on
      "continue"         a failure does not block anything (best-effort teardown)
    A set `cancel` Event stops starting new nodes; running nodes finish; the rest are
    reported as skipped. `reverse=True` runs dependents before their dependencies.
    """
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    graph = reversed_graph(deps) if reverse else checked_graph(deps)
    run = _Run(graph, action, events or ExecutionEvents(), on_failure, cancel)
    return run.execute(max_workers)


class _Run:
    """The scheduler's state for one execute() call."""

    def __init__(
        self,
        graph: dict[str, frozenset[str]],
        action: Callable[[str], object],
        events: ExecutionEvents,
        on_failure: OnFailure,
        cancel: threading.Event | None,
    ):
        self.graph = graph
        self.action = action
        self.events = events
        self.on_failure = on_failure
        self.cancel = cancel
        self.pending = set(graph)
        self.running: set[str] = set()
        self.done: list[str] = []
        self.failed: dict[str, BaseException] = {}
        self.skipped: dict[str, str] = {}
        self.settled: set[str] = set()  # nodes whose dependents may proceed
        self.stop_reason: str | None = None
        self.completions: queue.Queue[tuple[str, BaseException | None]] = queue.Queue()

    def execute(self, max_workers: int) -> ExecutionResult:
        with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="envsim-exec") as pool:
            while True:
                if self.stop_reason is None and self.cancel is not None and self.cancel.is_set():
                    self.stop_reason = "cancelled"
                if self.stop_reason is None:
                    self._start_ready(pool, max_workers)
                if not self.running:
                    break
                try:
                    node, error = self.completions.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    continue
                self._finish(node, error)
        for node in sorted(self.pending):
            self._skip(node, self._why_not_started(node))
        return ExecutionResult(
            done=tuple(self.done),
            failed=dict(self.failed),
            skipped=dict(self.skipped),
            cancelled=self.stop_reason == "cancelled",
        )

    def _start_ready(self, pool: ThreadPoolExecutor, max_workers: int) -> None:
        # Only as many as there are free workers, so "started" means running and a later
        # failure or cancel still holds back everything not yet started.
        ready = sorted(n for n in self.pending if self.graph[n] <= self.settled)
        for node in ready[: max_workers - len(self.running)]:
            self.pending.discard(node)
            self.running.add(node)
            self.events.on_started(node)
            pool.submit(self._call, node)

    def _call(self, node: str) -> None:
        try:
            self.action(node)
        except BaseException as error:  # reported, never lost in a worker thread
            self.completions.put((node, error))
        else:
            self.completions.put((node, None))

    def _finish(self, node: str, error: BaseException | None) -> None:
        self.running.discard(node)
        if error is None:
            self.done.append(node)
            self.settled.add(node)
            self.events.on_done(node)
            return
        self.failed[node] = error
        self.events.on_failed(node, error)
        if self.on_failure == "continue":
            self.settled.add(node)
        elif self.on_failure == "skip_dependents":
            for dependent in sorted(self._dependents_of(node) & self.pending):
                self.pending.discard(dependent)
                self._skip(dependent, f"depends on {node!r}, which failed")
        elif self.stop_reason is None:
            self.stop_reason = f"{node!r} failed"

    def _skip(self, node: str, reason: str) -> None:
        self.skipped[node] = reason
        self.events.on_skipped(node, reason)

    def _why_not_started(self, node: str) -> str:
        if self.stop_reason == "cancelled":
            return "cancelled"
        failed_ancestors = sorted(self._ancestors_of(node) & self.failed.keys())
        if failed_ancestors:
            return f"depends on {failed_ancestors[0]!r}, which failed"
        if self.stop_reason is not None:
            return f"not started after {self.stop_reason}"
        return "its dependencies did not finish"

    def _ancestors_of(self, node: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self.graph[node])
        while stack:
            dep = stack.pop()
            if dep not in seen:
                seen.add(dep)
                stack.extend(self.graph[dep])
        return seen

    def _dependents_of(self, node: str) -> set[str]:
        return {other for other in self.graph if node in self._ancestors_of(other)}


def _find_cycle(graph: Mapping[str, frozenset[str]]) -> list[str] | None:
    """One cycle as a path that ends where it starts, found deterministically, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: fully explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return path[path.index(dep) :] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None
