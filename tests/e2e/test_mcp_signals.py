"""`envsim mcp` as a process, stopped while it holds a stack: SIGTERM mid-run, SIGINT mid-up,
stdin closed while idle each revert faults and remove the stacks the session started before
the process exits; SIGKILL leaves the job to its watcher. Counted in the engine.

Spoken to over raw JSON-RPC lines (no SDK client, which would close and kill on its own terms).
"""

from __future__ import annotations

import time

from e2e_support import NOTHING_LEFT, leftovers, wait_for
from mcp_support import McpProcess, app_repo, env, names, new_name, toxics  # noqa: F401 - fixtures


def test_sigterm_mid_run_reverts_faults_and_removes_the_sessions_stack(app_repo, env, engine, names):
    name = new_name(names)
    server = McpProcess(app_repo, env)
    server.call(2, "up", {"profile": "prod-like", "name": name})
    up = server.wait(lambda m: m.get("id") == 2, "the up answer")
    assert not up["result"].get("isError"), up
    server.call(3, "run_scenario", {"path": "cancel-me", "name": name})
    server.wait(server.progress_says(3, "db-slow applied"), "db-slow applied")
    assert wait_for(lambda: toxics(name), timeout=10, what="the toxic in Toxiproxy")
    assert server.stop("SIGTERM") == 130
    assert leftovers(engine, name) == NOTHING_LEFT


def test_sigint_mid_up_removes_what_was_started(app_repo, env, engine, names):
    name = new_name(names)
    server = McpProcess(app_repo, env)
    server.call(2, "up", {"profile": "prod-like", "name": name})
    wait_for(lambda: leftovers(engine, name)["containers"] >= 2, timeout=120, what="containers to start")
    assert server.stop("SIGINT") == 130
    assert leftovers(engine, name) == NOTHING_LEFT


def test_stdin_closed_removes_the_sessions_stack_then_exits(app_repo, env, engine, names):
    name = new_name(names)
    server = McpProcess(app_repo, env)
    server.call(2, "up", {"profile": "prod-like", "name": name})
    server.wait(lambda m: m.get("id") == 2, "the up answer")
    assert leftovers(engine, name)["containers"] >= 4
    assert server.stop("eof") == 0
    assert leftovers(engine, name) == NOTHING_LEFT


def test_sigkill_leaves_the_removal_to_the_watcher(app_repo, env, engine, names):
    name = new_name(names)
    server = McpProcess(app_repo, env)
    server.call(2, "up", {"profile": "prod-like", "name": name})
    server.wait(lambda m: m.get("id") == 2, "the up answer")
    assert leftovers(engine, name)["containers"] >= 4
    server.stop("SIGKILL")
    started = time.monotonic()
    wait_for(lambda: leftovers(engine, name) == NOTHING_LEFT, timeout=120, what="the watcher to remove the stack")
    print(f"the watcher removed the stack {time.monotonic() - started:.1f} s after SIGKILL")
