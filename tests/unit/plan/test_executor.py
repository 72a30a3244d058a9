"""The parallel executor, driven with plain strings: no Docker, no sleeps as assertions."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envsim.plan.executor import (
    CycleError,
    ExecutionEvents,
    GraphError,
    dependency_levels,
    execute,
)

pytestmark = pytest.mark.timeout(30)

SHOP = {"api": ["db", "cache"], "db": [], "cache": [], "worker": ["db"], "edge": ["api"]}


class Recorder(ExecutionEvents):
    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def on_started(self, node: str) -> None:
        self.log.append(("started", node))

    def on_done(self, node: str) -> None:
        self.log.append(("done", node))

    def on_failed(self, node: str, error: BaseException) -> None:
        self.log.append(("failed", node))

    def on_skipped(self, node: str, reason: str) -> None:
        self.log.append(("skipped", node))


def assert_order_respected(deps, log):
    finished_at = {node: i for i, (kind, node) in enumerate(log) if kind == "done"}
    for i, (kind, node) in enumerate(log):
        if kind == "started":
            for dep in deps[node]:
                assert dep in finished_at and finished_at[dep] < i, f"{node} started before {dep} finished"


# ------------------------------------------------------------------ levels


def test_levels_group_by_depth_sorted_inside_a_level():
    assert dependency_levels(SHOP) == (("cache", "db"), ("api", "worker"), ("edge",))


def test_reverse_levels_put_dependents_first():
    assert dependency_levels(SHOP, reverse=True) == (("edge", "worker"), ("api",), ("cache", "db"))


def test_levels_of_empty_graph():
    assert dependency_levels({}) == ()


def test_levels_are_deterministic_whatever_the_mapping_order():
    shuffled = dict(reversed(list(SHOP.items())))
    assert dependency_levels(shuffled) == dependency_levels(SHOP)


def test_cycle_is_rejected_naming_the_cycle():
    with pytest.raises(CycleError) as caught:
        dependency_levels({"a": ["b"], "b": ["c"], "c": ["a"], "d": []})
    assert caught.value.cycle == ("a", "b", "c", "a")
    assert "a -> b -> c -> a" in str(caught.value)


def test_self_dependency_is_a_cycle():
    with pytest.raises(CycleError, match="a -> a"):
        execute({"a": ["a"]}, lambda node: None)


def test_unknown_dependency_is_rejected():
    with pytest.raises(GraphError, match="'api' depends on unknown node.*'dbb'"):
        execute({"api": ["dbb"], "db": []}, lambda node: None)


# ------------------------------------------------------------------ running


def test_every_node_runs_once_after_its_dependencies():
    recorder = Recorder()
    calls: list[str] = []
    lock = threading.Lock()

    def action(node):
        with lock:
            calls.append(node)

    result = execute(SHOP, action, events=recorder)
    assert result.ok
    assert sorted(calls) == sorted(SHOP)
    assert sorted(result.done) == sorted(SHOP)
    assert_order_respected(SHOP, recorder.log)


def test_reverse_runs_dependents_before_their_dependencies():
    recorder = Recorder()
    result = execute(SHOP, lambda node: None, events=recorder, reverse=True)
    assert result.ok
    done = [node for kind, node in recorder.log if kind == "done"]
    assert done.index("edge") < done.index("api") < done.index("db")
    assert done.index("worker") < done.index("db")
    assert done.index("api") < done.index("cache")


def test_independent_nodes_run_at_the_same_time():
    # Both must be inside their action at once to pass the barrier; run one after the
    # other, the barrier times out and breaks.
    barrier = threading.Barrier(2, timeout=5)
    result = execute({"db": [], "cache": []}, lambda node: barrier.wait(), max_workers=2)
    assert result.ok, result.failed


def test_a_chain_does_not_wait_for_a_slow_independent_node():
    # "slow" holds until "c" (end of an independent chain a -> b -> c) has run: a level-by-
    # level executor would wait for "slow" before starting "b" and deadlock the event.
    c_ran = threading.Event()

    def action(node):
        if node == "slow":
            assert c_ran.wait(timeout=5), "the independent chain was held back"
        if node == "c":
            c_ran.set()

    result = execute({"slow": [], "a": [], "b": ["a"], "c": ["b"]}, action, max_workers=2)
    assert result.ok, result.failed


def test_max_workers_bounds_concurrency():
    active = 0
    peak = 0
    lock = threading.Lock()
    release = threading.Event()

    def action(node):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            if peak >= 2:
                release.set()
        release.wait(timeout=2)  # keep the first two busy so a third could overlap
        with lock:
            active -= 1

    result = execute({n: [] for n in "abcdef"}, action, max_workers=2)
    assert result.ok
    assert peak == 2


def test_failure_stops_new_starts_and_reports_the_error_and_skips():
    boom = RuntimeError("db would not start")
    recorder = Recorder()

    def action(node):
        if node == "db":
            raise boom

    deps = {"db": [], "api": ["db"], "edge": ["api"], "other": ["db"]}
    result = execute(deps, action, events=recorder)
    assert not result.ok
    assert result.failed == {"db": boom}
    assert set(result.skipped) == {"api", "edge", "other"}
    assert result.skipped["edge"] == "depends on 'db', which failed"
    assert ("started", "api") not in recorder.log
    assert ("skipped", "edge") in recorder.log


def test_running_nodes_finish_after_a_failure_but_nothing_new_starts():
    cache_started = threading.Event()
    db_failed = threading.Event()

    class Signals(ExecutionEvents):
        def on_failed(self, node, error):
            db_failed.set()

    def action(node):
        if node == "cache":
            cache_started.set()
            assert db_failed.wait(timeout=5)  # still running when db's failure is seen
        if node == "db":
            assert cache_started.wait(timeout=5)
            raise ValueError("no")

    deps = {"db": [], "cache": [], "later": ["cache"]}
    result = execute(deps, action, events=Signals(), max_workers=2)
    assert result.done == ("cache",)
    assert list(result.failed) == ["db"]
    assert result.skipped == {"later": "not started after 'db' failed"}


def test_skip_dependents_lets_independent_chains_go_on():
    def action(node):
        if node == "db":
            raise OSError("port taken")

    deps = {"db": [], "api": ["db"], "cache": [], "worker": ["cache"]}
    result = execute(deps, action, on_failure="skip_dependents", max_workers=1)
    assert set(result.done) == {"cache", "worker"}
    assert set(result.failed) == {"db"}
    assert result.skipped == {"api": "depends on 'db', which failed"}


def test_continue_treats_a_failure_as_finished_for_teardown():
    def action(node):
        if node == "api":
            raise RuntimeError("container already gone")

    result = execute(SHOP, action, reverse=True, on_failure="continue")
    assert set(result.failed) == {"api"}
    assert set(result.done) == set(SHOP) - {"api"}
    assert result.skipped == {}


def test_base_exceptions_from_actions_are_reported_not_raised():
    def action(node):
        raise KeyboardInterrupt

    result = execute({"a": []}, action)
    assert isinstance(result.failed["a"], KeyboardInterrupt)


def test_cancel_stops_starting_new_nodes_and_lets_the_running_one_finish():
    cancel = threading.Event()

    def action(node):
        if node == "db":
            cancel.set()  # as a SIGINT handler would, while db is still starting

    result = execute({"db": [], "api": ["db"], "edge": ["api"]}, action, cancel=cancel)
    assert result.cancelled and not result.ok
    assert result.done == ("db",)
    assert result.skipped == {"api": "cancelled", "edge": "cancelled"}


def test_cancel_while_a_node_runs_is_noticed_without_waiting_for_completions():
    cancel = threading.Event()
    recorder = Recorder()
    a_started = threading.Event()
    let_a_finish = threading.Event()

    def action(node):
        if node == "a":
            a_started.set()
            let_a_finish.wait(timeout=5)

    def cancel_then_release():
        a_started.wait(timeout=5)
        cancel.set()
        let_a_finish.set()

    helper = threading.Thread(target=cancel_then_release)
    helper.start()
    result = execute({"a": [], "b": [], "c": ["a"]}, action, cancel=cancel, events=recorder, max_workers=1)
    helper.join()
    assert result.cancelled
    assert result.done == ("a",)
    assert set(result.skipped) == {"b", "c"}


def test_already_cancelled_runs_nothing():
    cancel = threading.Event()
    cancel.set()
    calls = []
    result = execute(SHOP, calls.append, cancel=cancel)
    assert calls == []
    assert set(result.skipped) == set(SHOP)


def test_empty_graph_is_fine():
    assert execute({}, lambda node: None).ok


def test_bad_max_workers_is_rejected():
    with pytest.raises(ValueError):
        execute({"a": []}, lambda node: None, max_workers=0)


# ------------------------------------------------------------------ properties


@st.composite
def dags(draw):
    names = draw(st.lists(st.text("abcdefgh", min_size=1, max_size=3), unique=True, max_size=12))
    # edges only to earlier names: acyclic by construction
    return {name: draw(st.lists(st.sampled_from(names[:i]), unique=True)) if i else [] for i, name in enumerate(names)}


@settings(max_examples=60, deadline=None)
@given(dags(), st.integers(min_value=1, max_value=4))
def test_any_dag_runs_completely_in_dependency_order(deps, workers):
    recorder = Recorder()
    result = execute(deps, lambda node: None, events=recorder, max_workers=workers)
    assert result.ok
    assert sorted(result.done) == sorted(deps)
    assert_order_respected(deps, recorder.log)
    levels = dependency_levels(deps)
    assert sorted(n for level in levels for n in level) == sorted(deps)
    position = {n: i for i, level in enumerate(levels) for n in level}
    assert all(position[dep] < position[node] for node, node_deps in deps.items() for dep in node_deps)
