"""A public app's compose file, imported as it is: `init --from-compose`, `up` healthy, and the
smoke scenario init wrote passes, with no edit to what init wrote.

The app (tests/e2e/data/items-api) has what tripped the first import of such an app: PostgreSQL
pinned to 11.5 (a 2019 image) with no password, an app that answers 404 to `GET /`, and no
healthchecks at all.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import docker.errors
import pytest
import yaml
from e2e_support import NOTHING_LEFT, leftovers

pytestmark = (
    pytest.mark.alone
)  # its database and api must turn healthy within 60 s, which other stacks' start-ups delay

APP = Path(__file__).parent / "data" / "items-api"


def test_a_public_compose_app_comes_up_healthy_and_passes_its_smoke_scenario_unedited(
    cli, engine, project, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    shutil.copytree(APP, project / "items-api")
    init = cli.run("init", "--from-compose", "items-api/docker-compose.yml", "--name", "items")
    assert init.returncode == 0, init.stderr
    assert "need edits" not in init.stderr, init.stderr
    profile = yaml.safe_load((project / "profiles" / "items.yaml").read_text())
    assert profile["services"]["db"]["health"] == {"cmd": ["pg_isready", "-h", "127.0.0.1", "-U", "postgres"]}
    assert profile["services"]["api"]["health"] == {"http": "/openapi.json"}
    assert "POSTGRES_PASSWORD" not in json.dumps(profile)  # nothing was wired in: the stand-in trusts, like 11.5
    scenario_text = (project / "scenarios" / "items-smoke.yaml").read_text()
    requests = [task["request"] for task in yaml.safe_load(scenario_text)["load"]["tasks"]]
    assert requests == ["GET /openapi.json", "GET /api/items"]

    up = cli.run("up", "items", "--name", stack_name, "--no-pull", timeout=900)
    assert up.returncode == 0, up.stdout + up.stderr
    assert re.search(r"db-pg: postgres://127\.0\.0\.1:\d+", up.stdout + up.stderr), up.stdout + up.stderr
    status = cli.run("status", "--name", stack_name)
    assert re.search(r"endpoint db-pg: postgres://127\.0\.0\.1:\d+", status.stdout), status.stdout
    assert re.search(r"endpoint api-http: http://127\.0\.0\.1:\d+", status.stdout), status.stdout
    assert "in place of postgres:11.5-alpine" in status.stdout
    (stack,) = json.loads(cli.run("status", "--name", stack_name, "--json").stdout)
    assert stack["problems"] == []
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get("postgres:11.5-alpine")  # the stand-in left the public name free

    # the file as init wrote it; its 30 s of load shortened on the command line, as a user may
    run = cli.run(
        "run",
        "scenarios/items-smoke.yaml",
        "--name",
        stack_name,
        "--no-up",
        "--keep",
        "--duration",
        "10s",
        "--reports",
        "out",
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "verdict: PASSED" in run.stdout
    journal = json.loads((project / "out" / "journal.json").read_text())
    served = {p["endpoint"] for p in journal["series"] if p["requests"] and p["endpoint"]}
    assert served == {"health", "api-items"}
    assert (project / "scenarios" / "items-smoke.yaml").read_text() == scenario_text

    down = cli.run("down", "--name", stack_name, "--images")
    assert down.returncode == 0, down.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT
