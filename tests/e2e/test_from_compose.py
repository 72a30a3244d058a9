"""A team's compose file -> `envsim init --from-compose` -> validate -> up -> a short run -> down.

The example shop's own docker-compose.yml (postgres:15, redis:7, the app built from its
Dockerfile, a password shared by the database and DATABASE_URL) is converted in a copy of
the repo; the generated profile must start, serve the generated smoke scenario and leave
nothing behind.
"""

from __future__ import annotations

import json
import re
import time

from e2e_support import NOTHING_LEFT, leftovers


def test_compose_file_to_a_running_stack_and_back(cli, engine, project, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    timings: dict[str, float] = {}

    def timed(step: str, *args: str, timeout: float = 600):
        started = time.monotonic()
        result = cli.run(*args, timeout=timeout)
        timings[step] = round(time.monotonic() - started, 1)
        return result

    init = timed("init", "init", "--from-compose", "examples/shop/docker-compose.yml", "--name", "shop")
    assert init.returncode == 0, init.stderr
    assert "wrote profiles/shop.yaml" in init.stdout and "wrote scenarios/shop-smoke.yaml" in init.stdout
    # Unsupported settings are warned about with their place in the compose file.
    assert re.search(r"docker-compose\.yml:\d+:\d+: services\.db\.restart: restart: unless-stopped", init.stderr)
    assert "named volume 'pgdata' is not kept" in init.stderr
    profile = (project / "profiles" / "shop.yaml").read_text()
    assert "shop-dev-password" not in profile  # the password became one generated secret
    assert profile.count("${secret.db_password}") == 2
    assert "- sql: ../examples/shop/seeds/schema.sql" in profile  # the initdb mount became a seed

    again = cli.run("init", "--from-compose", "examples/shop/docker-compose.yml", "--name", "shop")
    assert again.returncode == 2 and "not overwriting profiles/shop.yaml" in again.stderr

    validate = timed("validate", "validate", "profiles/shop.yaml", "scenarios/shop-smoke.yaml")
    assert validate.returncode == 0, validate.stderr

    up = timed("up", "up", "shop", "--name", stack_name, "--no-pull")
    assert up.returncode == 0, up.stderr
    status = json.loads(cli.run("status", "--name", stack_name, "--json").stdout)
    (stack,) = status
    assert {p["name"] for p in stack["proxies"]} == {"api-http", "db-pg", "cache-redis"}

    run = timed(
        "run",
        "run",
        "scenarios/shop-smoke.yaml",
        "--name",
        stack_name,
        "--duration",
        "5s",
        "--no-up",
        "--keep",
        "--reports",
        str(project / "out" / "smoke"),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (project / "out" / "smoke" / "journal.json").is_file(), run.stderr

    down = timed("down", "down", "--name", stack_name, "--images")
    assert down.returncode == 0, down.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT
    print(f"from-compose e2e timings (s): {timings}")
