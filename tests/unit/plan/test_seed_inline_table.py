"""`rows:` creates its table from SQL written in the profile: no separate file for a big table.

Seen: a 1,000,000-row invoices table needed a schema file of its own only to create the table.
"""

from envsim.config import load_profile
from envsim.plan.seed import plan_seed
from envsim.plan.sql_schema import describe_data

PROFILE = """\
envsim: 1
name: invoices
services:
  api: {image: "python:3.11-slim", ports: {http: 8000}, publish: [http], depends_on: [db]}
  db:
    image: postgres:15
    env: {POSTGRES_PASSWORD: pw}
    ports: {pg: 5432}
    seed:
      - rows:
          table: invoices
          create: |
            CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id int NOT NULL, total numeric);
          count: 1000000
          columns:
            id: sequence
            customer_id: {int: {min: 1, max: 5000}}
            total: {float: {min: 1, max: 500}}
"""


def test_a_rows_seed_creates_its_table_as_written_then_fills_it(tmp_path):
    path = tmp_path / "profiles" / "invoices.yaml"
    path.parent.mkdir()
    path.write_text(PROFILE)
    profile = load_profile(path, {})
    (step,) = plan_seed(profile.service("db")).steps
    assert step.description == "1000000 rows into invoices (created as written)"
    assert step.sql is not None
    create, insert = step.sql.split(";\n", 1)
    assert create == "CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id int NOT NULL, total numeric)"
    assert insert.startswith('INSERT INTO "invoices" ("id", "customer_id", "total")')

    (database,) = describe_data(profile, {})["databases"]
    (table,) = database["tables"]
    assert table["name"] == "invoices" and table["rows"] == 1000000
    assert [column["name"] for column in table["columns"]] == ["id", "customer_id", "total"]
