from envsim.config.fault_kinds.toxic import toxic_name
from envsim.config.profile_model import ColumnGenerator, RowsSeed
from envsim.plan.faults import plan_faults
from envsim.plan.render import scenario_to_text
from envsim.plan.scenario import plan_scenario
from envsim.plan.seed import rows_sql
from envsim.plan.stack import plan_stack


def test_fault_plans_resolve_targets_to_proxies_and_containers(profile):
    faults = {f.name: f for f in plan_faults(plan_stack(profile), profile)}
    slow = faults["db-slow"]
    assert [(t.proxy, t.toxic, t.type) for t in slow.steps] == [
        ("db-pg", toxic_name("db-slow", "latency", "downstream"), "latency")
    ]
    assert slow.steps[0].toxiproxy == "envsim-prod-like-toxiproxy-0"
    assert [p.proxy for p in faults["cache-down"].steps] == ["cache-redis"]
    crash = faults["api-crash"]
    assert [(c.container, c.action, c.undo) for c in crash.steps] == [
        ("envsim-prod-like-api-0", "kill", "start"),
        ("envsim-prod-like-api-1", "kill", "start"),
    ]
    assert "latency(latency=300, jitter=0) downstream on db-pg" in slow.describe()


def test_timeline_becomes_sorted_absolute_windows_clipped_to_the_load(scenario):
    plan = plan_scenario(scenario)
    assert [(s.fault, s.start, s.end) for s in plan.timeline] == [("db-slow", 10, 60), ("cache-down", 40, 45)]
    assert [f.name for f in plan.faults] == ["cache-down", "db-slow"]
    assert plan.entry_point.name == "api-http"
    text = scenario_to_text(plan)
    assert "     10s - 1m     db-slow" in text
    assert "     40s - 45s    cache-down" in text
    assert "task browse x1: GET /products" in text


def test_rows_seed_compiles_to_one_server_side_statement(profile):
    seed = profile.service("db").seed[0]
    sql = rows_sql(seed)
    assert sql.startswith('INSERT INTO "orders" ("id", "sku")')
    assert "generate_series(1, 1000)" in sql
    assert "(ARRAY['A1', 'B''2'])" in sql  # quotes escaped


def test_rows_seed_generators():
    seed = RowsSeed(
        table="t",
        count=5,
        columns=(
            ("n", ColumnGenerator("int", (("min", 1), ("max", 5)))),
            ("x", ColumnGenerator("text", (("length", 40),))),
            ("u", ColumnGenerator("uuid")),
            ("at", ColumnGenerator("timestamp")),
        ),
    )
    sql = rows_sql(seed)
    assert "(1 + floor(random() * 5))::bigint" in sql
    assert "repeat(md5(random()::text), 2), 1, 40)" in sql
    assert "gen_random_uuid()" in sql


def test_a_fault_without_end_lasts_as_long_as_the_runner_runs(scenario):
    from dataclasses import replace

    from envsim.config.scenario_model import LoadStage, TimelineEntry

    load = replace(scenario.load, duration=60, stages=(LoadStage(duration=20, users=5, spawn_rate=5),))
    plan = plan_scenario(replace(scenario, load=load, timeline=(TimelineEntry(at=10, fault="db-slow"),)))
    # the last stage holds until `duration`, so an open-ended fault is cleared at 60s, not 20s
    assert [(s.start, s.end) for s in plan.timeline] == [(10, 60)]
    assert plan.total_duration == 60
