"""An agent cancels `up` and `run_scenario` midway, or disconnects mid-run, through the SDK's
clients: faults are reverted (Toxiproxy holds no toxic, the payments stub no chaos
expectation) and the stacks the agent started are removed, counted in the engine by their
`envsim.stack` label.

(The server process stopped by SIGTERM, SIGINT or stdin EOF: test_mcp_signals.py.)
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import anyio
from e2e_support import NOTHING_LEFT, leftovers, wait_for
from mcp_support import active_faults, app_repo, env, names, new_name, settle, toxics  # noqa: F401 - fixtures

if TYPE_CHECKING:
    from mcp import Client


# The MCP SDK takes over a second to import: the tests import it, so collecting this module (on
# every xdist worker, in every run) does not.
def in_process_client(app_repo, env) -> Client:
    from mcp import Client

    from envsim.mcp.server import build_server

    return Client(build_server(app_repo, env=env))


async def cancel_when(client: Client, tool: str, arguments: dict, progress_says) -> dict:
    """Call `tool`, cancel the call at the first progress message `progress_says` accepts; what
    was seen then (the message, and whether the call had already ended)."""
    seen: dict = {}
    moment = anyio.Event()

    async def on_progress(value, total, message):
        if not moment.is_set() and progress_says(str(message)):
            seen["message"] = message
            moment.set()

    async def call():
        seen["result"] = await client.call_tool(tool, arguments, progress_callback=on_progress)
        moment.set()

    async with anyio.create_task_group() as group:
        group.start_soon(call)
        with anyio.fail_after(300):
            await moment.wait()
        group.cancel_scope.cancel()
    assert "result" not in seen, f"{tool} ended before the cancel: {seen['result'].content[0].text}"
    return seen


def test_cancelling_up_midway_removes_what_it_started(app_repo, env, engine, names):
    name = new_name(names)
    steps: list[str] = []

    def some_started(message: str) -> bool:
        steps.append(message)
        return leftovers(engine, name)["containers"] >= 2

    async def main():
        async with in_process_client(app_repo, env) as client:
            await cancel_when(client, "up", {"profile": "prod-like", "name": name}, some_started)
            await settle(lambda: leftovers(engine, name) == NOTHING_LEFT, 120, "the cancelled up to remove its stack")
            return (await client.call_tool("status", {"name": name})).structured_content

    status = anyio.run(main)
    assert status["running"] is False and status["services"] == {}
    assert leftovers(engine, name) == NOTHING_LEFT


def test_cancelling_run_scenario_on_the_agents_stack_reverts_its_faults(app_repo, env, engine, names):
    name = new_name(names)

    async def main():
        async with in_process_client(app_repo, env) as client:
            up = await client.call_tool("up", {"profile": "prod-like", "name": name})
            assert not up.is_error, up.content[0].text
            during: list[str] = []

            def fault_applied(message: str) -> bool:  # and seen in Toxiproxy before the cancel
                during.extend(toxics(name) if "db-slow applied" in message else [])
                return bool(during)

            seen = await cancel_when(client, "run_scenario", {"path": "cancel-me", "name": name}, fault_applied)
            await settle(lambda: not toxics(name), 60, "db-slow to be reverted")
            status = (await client.call_tool("status", {"name": name})).structured_content
            down = (await client.call_tool("down", {"name": name})).structured_content
            return seen, during, status, down

    seen, during, status, down = anyio.run(main)
    assert "db-slow applied" in seen["message"] and during
    assert status["running"] is True and status["active_faults"] == []
    assert all(proxy["toxics"] == [] for proxy in status["proxies"])
    assert down["removed"]["containers"] >= 4 and down["was_started_by_this_server"]
    assert leftovers(engine, name) == NOTHING_LEFT


def test_cancelling_run_scenario_reverts_a_stub_fault(app_repo, env, engine, names):
    name = new_name(names)
    profile = app_repo / "profiles" / "payments.yaml"

    async def main():
        async with in_process_client(app_repo, env) as client:
            up = await client.call_tool("up", {"profile": "payments", "name": name})
            assert not up.is_error, up.content[0].text
            during: list[str] = []

            def fault_applied(message: str) -> bool:  # and held by the stub before the cancel
                during.extend(active_faults(name, profile, env) if "payments-flaky applied" in message else [])
                return bool(during)

            await cancel_when(client, "run_scenario", {"path": "flaky-me", "name": name}, fault_applied)
            await settle(lambda: not active_faults(name, profile, env), 60, "payments-flaky to be reverted")
            status = (await client.call_tool("status", {"name": name})).structured_content
            await client.call_tool("down", {"name": name})
            return during, status

    during, status = anyio.run(main)
    assert during == ["payments-flaky"]
    assert status["running"] is True and status["active_faults"] == []
    assert leftovers(engine, name) == NOTHING_LEFT


def test_cancelling_run_scenario_removes_the_stack_it_started(app_repo, env, engine, names):
    name = new_name(names)

    async def main():
        async with in_process_client(app_repo, env) as client:
            await cancel_when(
                client,
                "run_scenario",
                {"path": "cancel-me", "name": name},
                lambda message: "db-slow applied" in message,
            )
            await settle(lambda: leftovers(engine, name) == NOTHING_LEFT, 120, "the cancelled run to remove its stack")
            return (await client.call_tool("status", {"name": name})).structured_content

    status = anyio.run(main)
    assert status["running"] is False
    assert leftovers(engine, name) == NOTHING_LEFT


def test_agent_disconnecting_mid_run_leaves_nothing(app_repo, env, engine, names):
    """The stdio client closes stdin, then SIGTERMs (2 s) and SIGKILLs (4 s) the server's group:
    what the server cannot finish, its watcher does."""
    from mcp import Client, StdioServerParameters

    name = new_name(names)
    params = StdioServerParameters(command=sys.executable, args=["-m", "envsim", "mcp"], cwd=str(app_repo), env=env)

    async def main():
        async with Client(params) as client:
            await cancel_when(
                client,
                "run_scenario",
                {"path": "cancel-me", "name": name},
                lambda message: "db-slow applied" in message,
            )
            assert toxics(name) or leftovers(engine, name)["containers"], "the run had not started"
        # the client has closed the connection and stopped the server process

    anyio.run(main)
    wait_for(
        lambda: leftovers(engine, name) == NOTHING_LEFT or None,
        timeout=120,
        what="the disconnected server's stack to be removed",
    )
