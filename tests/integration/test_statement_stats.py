"""What the databases were busy with, read from real servers: a PostgreSQL 11 stand-in (npm's
server binaries, no generic plans on demand) started with pg_stat_statements preloaded, and a
Redis. The statements and commands are sent inside the containers, as an app's would arrive;
the evidence names the slow ones, the plan of the slowest, and no value that was sent."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.timeout(600)

PROFILE = {
    "envsim": 1,
    "name": "statements",
    "services": {
        "db": {
            "image": "postgres:11",
            "env": {"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "${secret.db_password}", "POSTGRES_DB": "shop"},
            "ports": {"pg": 5432},
            "health": {"cmd": ["pg_isready", "-h", "127.0.0.1", "-U", "app", "-d", "shop"]},
            "seed": [
                {
                    "rows": {
                        "table": "invoices",
                        "create": "CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id int, total numeric)",
                        "count": 200000,
                        "columns": {
                            "id": "sequence",
                            "customer_id": {"int": {"min": 1, "max": 5000}},
                            "total": {"float": {"min": 1, "max": 500}},
                        },
                    }
                }
            ],
        },
        "cache": {"image": "redis:7", "ports": {"redis": 6379}, "health": {"tcp": "redis"}},
    },
    "credentials": {"db_password": {"generate": "password"}},
}
# a customer's invoices without an index on customer_id, as an app asks for them
SLOW_LOOKUP = "SELECT id, total FROM invoices WHERE customer_id = 4242"
SLOW_SCRIPT = "local i=0 while i<3000000 do i=i+1 end return i"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, docker_client, prepared_images):
    from envsim.api import up

    root = tmp_path_factory.mktemp("statements-repo")
    (root / ".git").mkdir()
    (root / "profiles").mkdir()
    (root / "profiles/statements.yaml").write_text(json.dumps(PROFILE))
    env = {"ENVSIM_STATE_DIR": str(tmp_path_factory.mktemp("state")), "PATH": "/usr/bin:/bin"}
    running = up(root / "profiles/statements.yaml", f"it-stmt-{uuid.uuid4().hex[:8]}", env=env)
    try:
        yield running
    finally:
        running.down()


def _in(docker_client, stack, service: str, command: list[str]) -> str:
    container = docker_client.containers.get(stack.plan.containers_of(service)[0].name)
    code, output = container.exec_run(command)
    assert code == 0, output
    return output.decode()


def test_the_slowest_statement_its_plan_and_the_slowlog_are_named_without_values(docker_client, stack):
    from envsim.engine.statement_stats import DatabaseEvidence

    evidence = DatabaseEvidence(stack.backend.run_engine(stack.handle), stack.handle, stack.profile)
    evidence.start()
    for _ in range(3):
        _in(docker_client, stack, "db", ["psql", "-X", "-q", "-U", "app", "-d", "shop", "-c", SLOW_LOOKUP])
    _in(docker_client, stack, "cache", ["redis-cli", "EVAL", SLOW_SCRIPT, "0"])
    found = evidence.collect()

    (db,) = found["slow_statements"]
    slowest = db["statements"][0]
    assert slowest["query"] == "SELECT id, total FROM invoices WHERE customer_id = $1", db
    assert slowest["calls"] == 3 and slowest["max_ms"] >= slowest["mean_ms"] > 0
    plan = "\n".join(db["plan"])
    assert "Seq Scan on invoices" in plan and "Filter: (customer_id = $0)" in plan, plan
    assert "InitPlan" in db["plan_note"]
    (cache,) = found["redis_slowlog"]
    assert cache["entries"][0]["command"] == "EVAL ? ?" and cache["entries"][0]["ms"] >= 10
    text = json.dumps(found)
    assert "4242" not in text and "3000000" not in text and stack.secret("db_password") not in text
