from pathlib import Path

import pytest

from envsim.config.fault_kinds.container import ContainerFault
from envsim.config.fault_kinds.down import ProxiesDown
from envsim.config.fault_kinds.toxic import Toxic
from envsim.config.fault_model import FailureMode
from envsim.config.profile_model import BuildSpec, ColumnGenerator, Credential, HealthCheck, Profile, RowsSeed, Service
from envsim.config.scenario_model import LoadSpec, LoadTask, Scenario, TimelineEntry
from envsim.config.template import SecretRef, Template

ROOT = Path("/repo")


@pytest.fixture
def profile() -> Profile:
    return Profile(
        name="prod-like",
        source=ROOT / "profiles/prod-like.yaml",
        root=ROOT,
        services=(
            Service(
                name="api",
                build=BuildSpec(context=ROOT / "app", args=(("BASE", "python:3.11-slim"),)),
                command=("python", "-m", "shop"),
                env=(("DATABASE_URL", Template(("postgresql://app:", SecretRef("db_password"), "@db:5432/shop"))),),
                ports=(("http", 8000),),
                publish=(("http", None),),
                health=HealthCheck(kind="http", path="/healthz"),
                depends_on=("db", "cache"),
                replicas=2,
            ),
            Service(
                name="db",
                image="postgres:15",
                env=(("POSTGRES_PASSWORD", Template((SecretRef("db_password"),))),),
                ports=(("pg", 5432),),
                health=HealthCheck(kind="cmd", command=("pg_isready",)),
                seed=(
                    RowsSeed(
                        table="orders",
                        count=1000,
                        columns=(
                            ("id", ColumnGenerator("sequence")),
                            ("sku", ColumnGenerator("choice", (("values", ("A1", "B'2")),))),
                        ),
                    ),
                ),
            ),
            Service(name="cache", image="redis:7", ports=(("redis", 6379),)),
            Service(name="worker", image="python:3.11-slim", depends_on=("db",)),
        ),
        credentials=(Credential(name="db_password", generate="password"),),
        failure_modes=(
            FailureMode(name="db-slow", target="db", effects=(Toxic("latency", (("latency", 300), ("jitter", 0))),)),
            FailureMode(name="cache-down", target="cache", effects=(ProxiesDown(),)),
            FailureMode(name="api-crash", target="api", effects=(ContainerFault("kill"),)),
        ),
    )


@pytest.fixture
def scenario(profile: Profile) -> Scenario:
    return Scenario(
        name="checkout",
        source=ROOT / "scenarios/checkout.yaml",
        root=ROOT,
        profile_ref="prod-like",
        profile=profile,
        load=LoadSpec(
            users=10,
            spawn_rate=5,
            duration=60,
            tasks=(LoadTask(name="browse", method="GET", path="/products"),),
        ),
        timeline=(
            TimelineEntry(at=40, fault="cache-down", duration=5),
            TimelineEntry(at=10, fault="db-slow", duration=90),
        ),
    )
