"""`envsim mcp` as an agent starts it: a stdio subprocess, through the SDK's stdio client. No Docker.

Run with an empty handshake cache and with one filled by an earlier session (envsim.mcp.relay).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import anyio
import pytest
from mcp_support import McpProcess

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.docker_free  # the MCP server over stdio; no stack is started
# The MCP SDK takes over a second to import: the test imports it, so collecting this module (on
# every xdist worker, in every run) does not.


@pytest.mark.parametrize("cache", ["empty", "filled"])
def test_envsim_mcp_over_stdio_lists_tools_and_reads_the_data(tmp_path, cache):
    from mcp import Client, StdioServerParameters

    for part in ("profiles", "scenarios", "examples"):
        shutil.copytree(REPO / part, tmp_path / part)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    if cache == "filled":
        legacy = McpProcess(tmp_path, env)  # initialize and tools/list, as most agents open: stored
        legacy.request(2, "tools/list", {})
        legacy.wait(lambda m: m.get("id") == 2, "the tools/list answer")
        legacy.stop("eof")
        assert list((tmp_path / "cache" / "envsim").glob("mcp-handshake-*.json"))
    params = StdioServerParameters(command=sys.executable, args=["-m", "envsim", "mcp"], cwd=str(tmp_path), env=env)

    async def main():
        async with Client(params) as client:
            tools = await client.list_tools()
            data = await client.read_resource("envsim://profiles/prod-like/data")
            return tools, json.loads(data.contents[0].text)

    tools, data = anyio.run(main)
    assert {"describe_environment", "plan", "validate", "up", "run_scenario", "down"} <= {t.name for t in tools.tools}
    orders = next(t for t in data["databases"][0]["tables"] if t["name"] == "orders")
    assert orders["rows"] == 20000
    assert "orders_created_at" in {i["name"] for i in orders["indexes"]}
