"""Markers by what a test needs, so `scripts/test.sh --fast` (`-m "not docker and not kubernetes and
not slow"`) runs every test that needs no Docker engine and no cluster. A property or fuzz test runs
at a few generated inputs there and at hundreds in the full command (that version is `slow`).

Tests are marked by their layer (integration, e2e, kubernetes). Those under integration/ and e2e/
are also marked `docker`, unless marked `docker_free`: they need the engine and the prepared images.
A module or test that drives only processes on this host (the load runner, the MCP server over
stdio, "no engine" errors) says `docker_free`, and runs in the fast tier beside the unit tests.

The engine's tests run on several pytest-xdist workers with `--dist loadgroup`: each module is one
group (its module-scoped stack is brought up once, on one worker), and modules that share something
beyond their own stacks name a common `xdist_group` (the stub and MockServer tests share
`mockserver`: one JVM starting at a time). An engine-free test is a group of its own, so the tests
of one module spread over the workers, unless its module names a group: one that starts something
once for its tests (a database, an MCP session, a load run two tests read) does. Tests that need a
quiet machine (measured latencies, rates and time-to-lives, the load generator's CPU, every
container on the engine counted, health deadlines other stacks' start-ups delay) are marked `alone`
and run afterwards, one at a time. The engine-free ones so marked (load runs timed against loopback
servers) run in the first part instead, with the other engine-free tests on three workers of their
own, as in the fast tier: nothing else runs then. The tests on the Kubernetes cluster are grouped
by module in the same way as the engine's; the modules whose stacks ask for a whole core of the
2-core node (prod-like's api) share one group, so no two such stacks are ever up at once.
"""

import signal
from pathlib import Path

import pytest

# A shell without job control starts background commands with SIGINT ignored, and Python keeps an
# ignored SIGINT: the tests that send SIGINT (to themselves, or to a run they started, which
# inherits it) would see nothing happen. Ctrl-C behaves as in a terminal, wherever the suite runs.
signal.signal(signal.SIGINT, signal.default_int_handler)

_LAYER_MARKERS = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e, "kubernetes": pytest.mark.kubernetes}
_ENGINE_LAYERS = ("integration", "e2e")


# tryfirst: pytest-xdist reads the groups in its own hook of the same name
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        layer = Path(str(item.fspath)).relative_to(Path(__file__).parent).parts[0]
        if layer in _LAYER_MARKERS:
            item.add_marker(_LAYER_MARKERS[layer])
        if layer in _ENGINE_LAYERS and item.get_closest_marker("docker_free") is None:
            item.add_marker(pytest.mark.docker)
        keeps_stacks = item.get_closest_marker("docker") or item.get_closest_marker("kubernetes")
        if keeps_stacks and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
