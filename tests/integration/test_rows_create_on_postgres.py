"""A `rows:` seed with `create:` (its table written inline in the profile) on a real PostgreSQL.

Seen: a 1,000,000-row table needed a schema file of its own only to create the table.
"""

import pytest

# the host PostgreSQL the example app's tests drive (they skip this module too when it is missing)
from test_example_app import PG_PASSWORD, PostgresServer

from envsim.config.profile_model import ColumnGenerator, RowsSeed
from envsim.plan.seed import rows_sql

# one worker: the module starts its PostgreSQL once
pytestmark = [pytest.mark.timeout(120), pytest.mark.docker_free, pytest.mark.xdist_group("rows-on-postgres")]


@pytest.fixture(scope="module")
def pg():
    server = PostgresServer()
    server.start()
    server.psql("postgres", f"CREATE ROLE app LOGIN PASSWORD '{PG_PASSWORD}'")
    server.psql("postgres", "CREATE DATABASE shop OWNER app")
    yield server
    server.remove()


def test_a_rows_seed_creates_its_table_inline_on_a_real_server(pg):
    # the SQL a `rows:` seed with `create:` sends, run by the real server: no schema file needed
    seed = RowsSeed(
        table="invoices_inline",
        count=20000,
        columns=(
            ("id", ColumnGenerator("sequence")),
            ("customer_id", ColumnGenerator("int", (("min", 1), ("max", 50)))),
        ),
        create="CREATE TABLE invoices_inline (id bigint PRIMARY KEY, customer_id int NOT NULL);\n",
    )
    pg.psql("shop", rows_sql(seed), user="app")
    counted = pg.psql("shop", "SELECT count(*), max(customer_id) <= 50 FROM invoices_inline", user="app")
    assert counted.stdout.strip() == "20000|t"
