"""`envsim mcp` answers `initialize` and `tools/list` from the SDK's earlier answers while the
SDK imports (envsim.mcp.relay): the cached answers equal the SDK's live ones, the SDK still
serves everything else, and a corrupt, stale or contradicted cache is not trusted. No Docker.
"""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp_support import REPO, McpProcess

from envsim.mcp.handshake import HandshakeCache, cache_dir, source_key

VERSION = "2025-06-18"  # what McpProcess asks for

# the MCP server over stdio, no stack; one worker, where the SDK's answers are learned once
pytestmark = [pytest.mark.docker_free, pytest.mark.xdist_group("mcp-handshake")]


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    for part in ("profiles", "scenarios", "examples"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@dataclass(frozen=True)
class Learned:
    cache: Path  # the cache the SDK's answers filled: each test starts from a copy
    answers: dict  # the SDK's answers in that session
    uncached_home: Path  # XDG_CACHE_HOME of a session with the cache switched off
    uncached: dict  # that session's answers: the SDK's own, live


@pytest.fixture(scope="module")
def learned(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Learned:
    """The SDK's slow first sessions, run once for all the tests, and side by side (one process a
    core): one that fills a cache, one with the cache switched off."""
    cache = tmp_path_factory.mktemp("learned") / "cache"
    uncached_home = tmp_path_factory.mktemp("uncached") / "cache"
    with ThreadPoolExecutor(2) as pool:
        filling = pool.submit(session, repo, {**os.environ, "XDG_CACHE_HOME": str(cache)})
        switched_off = {**os.environ, "XDG_CACHE_HOME": str(uncached_home), "ENVSIM_MCP_HANDSHAKE_CACHE": "0"}
        uncached = pool.submit(session, repo, switched_off)
        return Learned(cache, filling.result(), uncached_home, uncached.result())


def session(repo: Path, env: dict[str, str]) -> dict:
    """initialize and tools/list as an agent sends them; then one tool call and one resource list."""
    server = McpProcess(repo, env)
    server.request(2, "tools/list", {})
    server.wait(lambda m: m.get("id") == 2, "the tools/list answer")
    server.call(3, "validate", {})
    server.request(4, "resources/list", {})
    for request_id in (3, 4):
        server.wait(lambda m, request_id=request_id: m.get("id") == request_id and "method" not in m, "answers")
    server.stop("eof")
    answers = {m["id"]: m for m in server.messages if "id" in m and "method" not in m}
    assert [m.get("id") for m in server.messages].count(1) == 1, "initialize was answered twice"
    return {
        "initialize": answers[1]["result"],
        "tools/list": answers[2]["result"],
        "validate": answers[3]["result"],
        "resources/list": answers[4]["result"],
    }


def cache_file(env: dict[str, str]) -> Path:
    return HandshakeCache(cache_dir(env), source_key()).path(VERSION)


def test_cached_answers_equal_the_sdks_and_the_sdk_serves_the_rest(repo, learned, tmp_path):
    live = learned.uncached
    assert not cache_file({**os.environ, "XDG_CACHE_HOME": str(learned.uncached_home)}).exists()
    learning = learned.answers  # no cache yet: the SDK answered, and its answers were stored
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    shutil.copytree(learned.cache, tmp_path / "cache")
    stored = json.loads(cache_file(env).read_text())
    cached = session(repo, env)

    assert stored["initialize"] == live["initialize"] and stored["tools/list"] == live["tools/list"]
    assert learning == live and cached == live
    assert {"up", "run_scenario", "validate"} <= {t["name"] for t in cached["tools/list"]["tools"]}
    assert cached["validate"]["structuredContent"]["exit_code"] in (0, 2)  # served by the SDK
    assert cached["resources/list"]["resources"]


@pytest.mark.parametrize("damage", ["not json", "other key", "contradicts the SDK"])
def test_a_corrupt_stale_or_contradicted_cache_is_not_trusted(repo, learned, tmp_path, damage):
    live = learned.answers
    shutil.copytree(learned.cache, tmp_path / "cache")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    path = cache_file(env)
    stored = json.loads(path.read_text())
    if damage == "not json":
        path.write_text(path.read_text()[:100])
    elif damage == "other key":
        stored["key"] = "0" * 32
        stored["tools/list"]["tools"] = []
        path.write_text(json.dumps(stored))
    else:
        stored["initialize"]["serverInfo"]["version"] = "0.0.0-stale"
        path.write_text(json.dumps(stored))

    after = session(repo, env)

    if damage == "contradicts the SDK":
        # answered from the file once (nothing tells it apart beforehand), then the file is gone
        assert after["initialize"]["serverInfo"]["version"] == "0.0.0-stale"
        assert not path.exists()
        after = session(repo, env)
    assert after == live
    assert json.loads(path.read_text())["tools/list"] == live["tools/list"]  # relearned
