"""Which PostgreSQL services keep statement statistics, and the server command that loads them."""

from __future__ import annotations

from dataclasses import replace

from envsim.config.profile_model import Service, StubSpec
from envsim.plan.stack import plan_stack
from envsim.plan.statements import statements_command, statements_on

PRELOAD = ("-c", "shared_preload_libraries=pg_stat_statements")


def test_on_by_default_for_the_official_image_only():
    assert statements_on(Service("db", image="postgres:15"))
    assert statements_on(Service("db", image="docker.io/library/postgres:11.5-alpine"))
    assert not statements_on(Service("db", image="timescale/timescaledb:latest-pg16"))
    assert not statements_on(Service("db", image="postgis/postgis:16-3.4"))
    assert not statements_on(Service("cache", image="redis:7"))
    assert not statements_on(Service("api", stub=StubSpec()))


def test_the_profile_switches_it_either_way():
    assert statements_on(Service("db", image="postgis/postgis:16-3.4", statements=True))
    assert not statements_on(Service("db", image="postgres:16", statements=False))


def test_the_command_preloads_the_extension():
    # no command: bare flags, which the official entrypoint (and the stand-ins') pass to postgres
    assert statements_command(None) == PRELOAD
    assert statements_command(("postgres", "-c", "max_connections=50")) == (
        "postgres",
        "-c",
        "max_connections=50",
        *PRELOAD,
    )
    assert statements_command(("-c", "fsync=off")) == ("-c", "fsync=off", *PRELOAD)


def test_a_preload_list_the_command_sets_is_extended_not_replaced():
    assert statements_command(("postgres", "-c", "shared_preload_libraries=timescaledb")) == (
        "postgres",
        "-c",
        "shared_preload_libraries=timescaledb,pg_stat_statements",
    )
    assert statements_command(("postgres", "-cshared_preload_libraries='a, pg_stat_statements'")) == (
        "postgres",
        "-cshared_preload_libraries=a,pg_stat_statements",
    )
    assert statements_command(("postgres", "--shared_preload_libraries=a")) == (
        "postgres",
        "--shared_preload_libraries=a,pg_stat_statements",
    )


def test_a_command_that_does_not_start_the_server_is_left_alone():
    assert statements_command(("sh", "-c", "exec postgres")) == ("sh", "-c", "exec postgres")


def test_the_stack_plan_carries_the_command(profile):
    db = Service("db", image="postgres:16", ports=(("pg", 5432),))
    plan = plan_stack(replace(profile, services=(db, replace(db, name="other", statements=False))), "s")
    assert plan.containers_of("db")[0].command == PRELOAD
    assert plan.containers_of("other")[0].command is None
