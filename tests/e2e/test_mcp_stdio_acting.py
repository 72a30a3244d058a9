"""`envsim mcp` as an agent starts it (a stdio subprocess, through the SDK's stdio client),
acting: up the example stack, read its data resource live, run a shortened scenario, down.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import anyio

from envsim import api

REPO = Path(__file__).resolve().parents[2]
# The MCP SDK takes over a second to import: the test imports it, so collecting this module (on
# every xdist worker, in every run) does not.


def test_envsim_mcp_over_stdio_ups_reads_live_data_runs_and_downs(tmp_path, engine):
    from mcp import Client, StdioServerParameters

    root = tmp_path / "repo"
    for part in ("profiles", "scenarios", "examples"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".git").mkdir()
    name = f"mcp-e2e-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "ENVSIM_STATE_DIR": str(tmp_path / "state")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "envsim", "mcp"], cwd=str(root), env=env)

    async def main():
        async with Client(params) as client:
            up = await client.call_tool("up", {"profile": "prod-like", "name": name})
            assert not up.is_error, up.content[0].text
            data = json.loads((await client.read_resource("envsim://profiles/prod-like/data")).contents[0].text)
            run = await client.call_tool("run_scenario", {"path": "scenarios/checkout.yaml", "duration": "5s"})
            assert not run.is_error, run.content[0].text
            down = await client.call_tool("down", {"name": name})
            return up.structured_content, data, run.structured_content, down.structured_content

    try:
        up, data, run, down = anyio.run(main)
    finally:
        for container in engine.containers.list(all=True, filters={"label": f"envsim.stack={name}"}):
            container.remove(force=True, v=True)
        api.down(name, images=True, env=env)  # and the image built for the stack

    assert up["stack"] == name
    orders = next(t for t in data["databases"][0]["live"]["tables"] if t["name"] == "orders")
    assert "orders_created_at" in {i["name"] for i in orders["indexes"]}  # declared in seeds/schema.sql
    assert orders["rows"] >= 20000
    assert run["verdict"] in ("passed", "failed") and run["checks"]["total"] == 11
    assert run["summary"].startswith("verdict: ")
    assert down["removed"]["containers"] >= 4
    left = [c.name for c in engine.containers.list(all=True, filters={"label": f"envsim.stack={name}"})]
    left += [n.name for n in engine.networks.list(filters={"label": f"envsim.stack={name}"})]
    left += [v.name for v in engine.volumes.list(filters={"label": f"envsim.stack={name}"})]
    assert left == []
