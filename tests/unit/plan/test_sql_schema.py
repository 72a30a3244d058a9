"""Seed SQL parsed into tables, columns, types and indexes."""

from envsim.plan.sql_schema import parse_sql


def test_tables_columns_constraints_and_indexes():
    tables = parse_sql(
        """
        -- a comment; with a semicolon
        CREATE TABLE IF NOT EXISTS public."Users" (
            id serial PRIMARY KEY,
            email text NOT NULL UNIQUE,
            note text DEFAULT 'a;b',
            team_id int REFERENCES teams (id),
            CONSTRAINT users_team_email UNIQUE (team_id, email)
        );
        CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_lower_email ON "Users" USING btree (lower(email));
        CREATE INDEX ON "Users" (team_id) WHERE note IS NOT NULL;
        INSERT INTO "Users" (email) VALUES ('a@x'), ('b@x'), ('c;d@x');
        """
    )
    users = tables["Users"]
    assert [(c["name"], c["type"], c["nullable"]) for c in users["columns"]] == [
        ("id", "serial", False),
        ("email", "text", False),
        ("note", "text", True),
        ("team_id", "int", True),
    ]
    assert users["columns"][2]["default"] == "'a;b'"
    assert users["columns"][3]["references"] == "teams"
    indexes = {i["name"]: i for i in users["indexes"]}
    assert indexes["Users_pkey"]["columns"] == ["id"]
    assert indexes["Users_email_key"]["unique"]
    assert indexes["users_team_email"]["columns"] == ["team_id", "email"]
    assert indexes["users_lower_email"] == {
        "name": "users_lower_email",
        "columns": ["lower(email)"],
        "unique": True,
        "kind": "unique index",
        "method": "btree",
    }
    assert indexes["Users_team_id_idx"]["where"] == "note IS NOT NULL"
    assert users["rows"] == 3
