"""The databases' evidence is safe to print: no literal value or secret in statements, plans or
SLOWLOG entries; and the SQL that shows a statement's plan never runs the statement."""

from __future__ import annotations

from envsim.engine.statement_text import (
    REDACTED,
    explainable,
    generic_plan_sql,
    initplan_sql,
    parameter_count,
    parameter_types_sql,
    redact_plan_line,
    redact_statement,
    slowlog_entries,
    statements_sql,
)

SECRET = "s3cr3t-Pa55"


def test_a_normalised_statement_keeps_its_parameters_and_names():
    query = "SELECT id, email\n  FROM customers2 WHERE lower(email) = lower($1) LIMIT $2"
    assert redact_statement(query) == "SELECT id, email FROM customers2 WHERE lower(email) = lower($1) LIMIT $2"


def test_literals_pg_stat_statements_kept_are_redacted():
    assert redact_statement("ALTER ROLE app PASSWORD 'hunter2'") == "ALTER ROLE app PASSWORD '?'"
    assert redact_statement("SELECT 'it''s', E'a\\'b', 42, 3.5e3 FROM t1") == "SELECT '?', '?', ?, ? FROM t1"
    assert redact_statement("DO $body$ BEGIN PERFORM 1; END $body$") == "DO '?'"
    assert redact_statement("SELECT $$x$$, $1") == "SELECT '?', $1"


def test_secrets_are_redacted_in_statements_and_plans():
    assert SECRET not in redact_statement(f"SELECT * FROM t WHERE token = {SECRET}", [SECRET])
    assert redact_plan_line(f"  Filter: (token = '{SECRET}'::text)", [SECRET]) == "  Filter: (token = '?'::text)"
    assert REDACTED in redact_plan_line(f"  Index Scan using idx_{SECRET}", [SECRET])


def test_a_plan_keeps_its_costs_and_row_counts():
    line = "  ->  Parallel Seq Scan on customers  (cost=0.00..8320.56 rows=1042 width=44)"
    assert redact_plan_line(line) == line


def test_which_statements_can_be_explained():
    assert explainable("  select 1") and explainable("WITH x AS (SELECT 1) SELECT * FROM x")
    assert explainable("(SELECT 1) UNION (SELECT 2)") and explainable("UPDATE t SET a = $1")
    assert not explainable("VACUUM t") and not explainable("CREATE INDEX ON t (a)") and not explainable("")


def test_parameters_are_counted_outside_literals():
    assert parameter_count("SELECT $1, $3 FROM t WHERE a = $2") == 3
    assert parameter_count("SELECT '$9' FROM t") == 0


def test_the_generic_plan_of_each_major():
    query = "SELECT * FROM customers WHERE lower(email) = lower($1) AND id > $2;"
    new = generic_plan_sql(16, query)
    assert new is not None and "EXPLAIN (GENERIC_PLAN) SELECT * FROM customers" in new[0]
    older = generic_plan_sql(15, query)
    assert older is not None
    assert "SET LOCAL plan_cache_mode = force_generic_plan;" in older[0]
    assert "PREPARE envsim_slowest AS SELECT * FROM customers WHERE lower(email) = lower($1) AND id > $2;" in older[0]
    assert "EXPLAIN EXECUTE envsim_slowest(NULL, NULL);" in older[0]
    assert generic_plan_sql(11, query) is None  # no plan_cache_mode: a custom plan of NULLs would mislead
    plain = generic_plan_sql(11, "SELECT count(*) FROM orders")
    assert plain is not None and "EXPLAIN SELECT count(*) FROM orders;" in plain[0]


def test_the_plan_sql_never_runs_the_statement():
    for major in (12, 15, 16, 17):
        made = generic_plan_sql(major, "DELETE FROM orders WHERE id = $1")
        assert made is not None
        sql = made[0]
        assert sql.startswith("BEGIN READ ONLY;") and sql.rstrip().endswith("ROLLBACK;")
        assert "ANALYZE" not in sql.upper() and "EXECUTE envsim_slowest" not in sql.replace("EXPLAIN EXECUTE", "")


def test_the_statistics_columns_of_each_major():
    assert "mean_exec_time" in statements_sql(13, 5) and "LIMIT 5" in statements_sql(13, 5)
    assert "mean_time" in statements_sql(12, 5) and "exec_time" not in statements_sql(12, 5)


def test_slowlog_entries_keep_the_command_name_only():
    raw = [
        [3, 1796607380, 310000, ["KEYS", "session:*"], "10.0.0.5:4242", ""],
        [2, 1796607380, 12500, ["SET", "user:7", "secret value", "EX", "60"], "10.0.0.5:4242", ""],
        [1, 1796607380, 10, ["HELLO", "3"], "127.0.0.1:1", ""],
        [0, 1796607380, 20, ["SLOWLOG", "RESET"], "127.0.0.1:1", ""],
        "not an entry",
    ]
    assert slowlog_entries(raw) == [{"command": "KEYS ?", "ms": 310.0}, {"command": "SET ? ? ? ...", "ms": 12.5}]


def test_before_postgresql_12_parameters_become_unknown_values_of_their_types():
    query = "SELECT * FROM customers WHERE lower(email) = lower($1) AND id > $2 LIMIT $10;"
    types_sql = parameter_types_sql(query)
    assert "PREPARE envsim_slowest AS SELECT * FROM customers" in types_sql and "pg_prepared_statements" in types_sql
    assert types_sql.startswith("BEGIN READ ONLY;") and types_sql.rstrip().endswith("ROLLBACK;")
    types = ["text", "integer", "bigint", "text", "text", "text", "text", "text", "text", "character varying"]
    sql, how = initplan_sql(query, types)
    assert (
        "EXPLAIN SELECT * FROM customers WHERE lower(email) = lower((SELECT NULL::text)) "
        "AND id > (SELECT NULL::integer) LIMIT (SELECT NULL::character varying);"
    ) in sql
    assert sql.startswith("BEGIN READ ONLY;") and "InitPlan" in how
