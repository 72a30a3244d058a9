"""The acting tools through the SDK's in-memory client, against the example prod-like stack
started by the `up` tool in a copy of the repo with a private state directory.

Every response of every tool and resource (and every progress message) is searched for the
stack's generated secret values, read from the state directory: zero hits.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import anyio

from envsim import api

REPO = Path(__file__).resolve().parents[2]
# The MCP SDK takes over a second to import: the test imports it, so collecting this module (on
# every xdist worker, in every run) does not.


def test_tools_on_a_running_stack_shapes_and_no_secret_value_anywhere(tmp_path, engine):
    from mcp import Client

    from envsim.mcp.server import build_server

    root, state = tmp_path / "repo", tmp_path / "state"
    for part in ("profiles", "scenarios", "examples"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".git").mkdir()
    env = {**os.environ, "ENVSIM_STATE_DIR": str(state)}
    name = f"mcp-{uuid.uuid4().hex[:8]}"
    texts: list[str] = []  # every response, as the agent receives it
    progress: list[tuple] = []

    async def on_progress(value, total, message):
        progress.append((value, total, message))
        texts.append(str(message))

    async def tool(client, tool_name, arguments):
        result = await client.call_tool(tool_name, arguments, progress_callback=on_progress)
        texts.extend(c.text for c in result.content if hasattr(c, "text"))
        texts.append(json.dumps(result.structured_content))
        assert not result.is_error, result.content[0].text
        return result.structured_content

    async def main():
        answers = {}
        async with Client(build_server(root, env=env)) as client:
            answers["up"] = await tool(client, "up", {"profile": "prod-like", "name": name})
            answers["up_progress"] = list(progress)
            answers["status"] = await tool(client, "status", {})
            answers["fault_apply"] = await tool(client, "fault_apply", {"fault": "db-slow"})
            answers["fault_clear"] = await tool(client, "fault_clear", {"fault": "db-slow"})
            for read_only in (
                ("describe_environment", {"profile": "prod-like"}),
                ("plan", {"target": "prod-like"}),
                ("validate", {}),
            ):
                await tool(client, *read_only)
            for resource in (await client.list_resources()).resources:
                contents = await client.read_resource(str(resource.uri))
                texts.extend(c.text for c in contents.contents)
                if str(resource.uri) == "envsim://profiles/prod-like/data":
                    answers["data"] = json.loads(contents.contents[0].text)
            progress.clear()
            answers["run"] = await tool(
                client, "run_scenario", {"path": "scenarios/checkout.yaml", "duration": "5s", "users": 2}
            )
            answers["run_progress"] = list(progress)
            answers["secrets"] = [json.loads(p.read_text()) for p in state.rglob("secrets.json")]
            answers["down"] = await tool(client, "down", {"name": name})
            answers["status_after"] = await tool(client, "status", {"name": name})
        return answers

    try:
        answers = anyio.run(main)
    finally:
        for container in engine.containers.list(all=True, filters={"label": f"envsim.stack={name}"}):
            container.remove(force=True, v=True)
        api.down(name, images=True, env=env)  # and the image built for the stack

    up = answers["up"]
    assert up["stack"] == name and up["started_by_this_server"] is True
    assert up["endpoints"]["api.http"].startswith("http://127.0.0.1:")
    assert {s["name"] for s in up["services"]} == {"api", "db", "cache"}
    assert answers["up_progress"] and all(isinstance(m, str) for _, _, m in answers["up_progress"])

    status = answers["status"]
    assert status["stack"] == name and status["running"] is True
    assert set(status["services"]) == {"api", "db", "cache"}
    assert status["active_faults"] == [] and status["endpoints"] == up["endpoints"]
    assert answers["fault_apply"]["active_faults"] == ["db-slow"] and "latency" in answers["fault_apply"]["effect"]
    assert answers["fault_clear"]["active_faults"] == []

    (database,) = answers["data"]["databases"]
    live = {t["name"]: t for t in database["live"]["tables"]}
    assert live["orders"]["rows"] >= 20000
    assert {"orders_created_at", "orders_pkey"} <= {i["name"] for i in live["orders"]["indexes"]}
    assert {c["name"] for c in live["orders"]["columns"]} >= {"id", "sku", "qty", "price", "created_at"}

    run = answers["run"]
    assert run["verdict"] in ("passed", "failed") and run["scenario"] == "checkout"
    assert run["checks"]["total"] == 11
    for check in run["failed_checks"]:
        assert {"id", "label", "measured", "bound", "phase", "reason", "top_failures"} <= set(check)
    assert run["journal"] == "reports/checkout/journal.json"
    assert all((root / path).is_file() for path in run["reports"])
    seconds = [p for p in answers["run_progress"] if p[1] == 5.0]
    assert seconds, answers["run_progress"]

    assert answers["down"]["removed"]["containers"] >= 4 and answers["down"]["was_started_by_this_server"]
    assert answers["status_after"]["running"] is False
    assert not engine.containers.list(all=True, filters={"label": f"envsim.stack={name}"})

    values = [v for secrets in answers["secrets"] for v in secrets.values()]
    assert values, "the stack's generated secrets were not found in the state directory"
    everything = "\n".join(texts)
    assert len(everything) > 10000
    assert [v for v in values if v in everything] == []
