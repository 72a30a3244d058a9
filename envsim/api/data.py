"""The live schema of a running stack's PostgreSQL: tables, columns, indexes and row counts.

Read with fixed catalog queries (information_schema, pg_indexes) run by `psql` inside the
database container, the path SQL probes and seeds take: no driver, no password on the host.
"""

from __future__ import annotations

import json
from typing import Any

from envsim.api.stack import Stack
from envsim.engine.seeding import run_sql
from envsim.errors import EnvironmentProblem, InputError

CATALOG_SQL = """\
select json_build_object(
  'columns', (select coalesce(json_agg(json_build_object(
      'table', table_name, 'name', column_name, 'type', data_type, 'udt', udt_name,
      'nullable', is_nullable = 'YES', 'default', column_default) order by table_name, ordinal_position), '[]')
    from information_schema.columns where table_schema = 'public'),
  'indexes', (select coalesce(json_agg(json_build_object(
      'table', tablename, 'name', indexname, 'definition', indexdef) order by tablename, indexname), '[]')
    from pg_indexes where schemaname = 'public'),
  'rows', (select coalesce(json_object_agg(table_name, (xpath('/row/c/text()', query_to_xml(
      format('select count(*) as c from %I.%I', table_schema, table_name), false, true, '')))[1]::text::bigint), '{}')
    from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE')
);
"""


def live_schema(stack: Stack, service: str) -> dict[str, Any]:
    """Tables of the `public` schema of `service`'s running PostgreSQL, each with its columns,
    indexes (name, definition) and exact row count.

    InputError for an unknown service; EnvironmentProblem when psql fails in the container.
    """
    containers = stack.plan.containers_of(service)
    if not containers:
        raise InputError(f"no service {service!r} in stack {stack.name}")
    container = stack.engine.containers.get(containers[0].name)
    try:
        output = run_sql(container, CATALOG_SQL, tuples_only=True).strip()
    except RuntimeError as error:
        raise EnvironmentProblem(f"service {service}: reading the database catalog failed: {error}") from None
    catalog = json.loads(output or "{}")
    tables: dict[str, dict[str, Any]] = {}
    for name, rows in (catalog.get("rows") or {}).items():
        tables[name] = {"name": name, "rows": rows, "columns": [], "indexes": []}
    for column in catalog.get("columns") or []:
        table = tables.get(column.pop("table"))
        if table is not None:  # views have columns too; only tables are listed
            table["columns"].append(column)
    for index in catalog.get("indexes") or []:
        table = tables.get(index.pop("table"))
        if table is not None:
            table["indexes"].append(index)
    return {"service": service, "tables": [tables[name] for name in sorted(tables)]}
