"""Wall time of `envsim mcp` start -> `tools/list` answered, next to `envsim --help`.

Both run as subprocesses of the same interpreter (start-up included), in alternating rounds
in the repo root; the medians and their ratio are printed (goal: at most 1.5x). The MCP side
is timed by hand over the stdio JSON-RPC framing (initialize, initialized, tools/list), so
the client's own imports are not counted. Asserts nothing.

Since the SDK import is most of it (`python -X importtime -c "import mcp.server.mcpserver"`,
about 650 ms on 2 cores), `envsim mcp` answers `initialize` and `tools/list` from the SDK's own
earlier answers, cached on disk, while the SDK imports (envsim.mcp.relay). The warm-up round
fills the cache as an agent's first start would; the rounds without the cache
(ENVSIM_MCP_HANDSHAKE_CACHE=0) show what the first start costs. See docs/mcp.md, "Start-up time".

    python bench/bench_mcp_start.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_RATIO = 1.5
REPO = Path(__file__).resolve().parents[1]
ENVSIM = [sys.executable, "-m", "envsim"]


def _send(process: subprocess.Popen, message: dict) -> None:
    process.stdin.write((json.dumps(message) + "\n").encode())
    process.stdin.flush()


def _answer(process: subprocess.Popen, request_id: int) -> dict:
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("envsim mcp closed its output")
        message = json.loads(line)
        if message.get("id") == request_id:
            return message


def time_mcp(cache: bool = True) -> float:
    env = {**os.environ, "ENVSIM_MCP_HANDSHAKE_CACHE": "1" if cache else "0"}
    start = time.perf_counter()
    process = subprocess.Popen(
        ENVSIM + ["mcp"], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    try:
        _send(
            process,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "0"},
                },
            },
        )
        _answer(process, 1)
        _send(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _send(process, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        tools = _answer(process, 2)["result"]["tools"]
        elapsed = time.perf_counter() - start
        assert tools, "no tools listed"
        return elapsed
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def time_help() -> float:
    start = time.perf_counter()
    subprocess.run(ENVSIM + ["--help"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    time_help(), time_mcp()  # warm the file cache and bytecode, and fill the handshake cache
    helps, mcps, colds = [], [], []
    for _ in range(args.rounds):
        helps.append(time_help())
        mcps.append(time_mcp())
        colds.append(time_mcp(cache=False))
    help_median, mcp_median, cold_median = (statistics.median(t) for t in (helps, mcps, colds))
    ratio = mcp_median / help_median
    print(f"envsim --help                      median {help_median * 1000:7.1f} ms  ({args.rounds} rounds)")
    print(f"envsim mcp: start -> tools/list    median {mcp_median * 1000:7.1f} ms  ({args.rounds} rounds)")
    print(
        f"  same, no handshake cache         median {cold_median * 1000:7.1f} ms  "
        f"({cold_median / help_median:.2f}x; an agent's first start after an install or upgrade)"
    )
    print(f"ratio {ratio:.2f}x (goal <= {GOAL_RATIO}x): {'met' if ratio <= GOAL_RATIO else 'NOT met'}")


if __name__ == "__main__":
    main()
