"""The lines of a load pod's log as the run reads them: the child's messages after the marker,
its own CPU readings kept for the saturation guard, everything else kept for error messages."""

from __future__ import annotations

import json

from envsim.run.cluster_load import ClusterLoadProcess
from envsim.run.locust_child import STATS_MARKER


def read(process: ClusterLoadProcess, *messages: object) -> list[dict]:
    for message in messages:
        process._line(message if isinstance(message, str) else STATS_MARKER + json.dumps(message))
    found = []
    while (message := process.next_message(0)) is not None:
        found.append(message)
    return found


def test_marked_lines_are_the_runs_messages_and_other_lines_are_kept_for_messages():
    process = ClusterLoadProcess({}, jobs=None)  # type: ignore[arg-type]
    second = {"type": "second", "t": 0, "users": 2, "endpoints": {}}
    found = read(process, "[2026-12-07] WARNING/locust.main: a line of Locust's own", second, STATS_MARKER + "{cut")
    assert found == [second]
    assert "a line of Locust's own" in "\n".join(process._other)


def test_cpu_readings_are_kept_for_the_sampler_and_worker_seconds_pass_on_with_theirs():
    process = ClusterLoadProcess({}, jobs=None)  # type: ignore[arg-type]
    assert process.reported_cpu() == (None, [])
    worker = {"type": "worker_second", "worker": "worker-1", "t": 3, "users": 2, "requests": 9, "cpu": 4.5}
    found = read(process, {"type": "cpu", "role": "master", "cpu": 2.0, "host_cpu": 61.5}, worker)
    assert found == [worker]  # the master's reading is not a message of the run
    assert process.reported_cpu() == (61.5, [("master", 0, 2.0, 0.0), ("worker-1", 0, 4.5, 0.0)])
    assert process.roles == []  # no process of it to read on this machine
