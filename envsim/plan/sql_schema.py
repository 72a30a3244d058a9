"""Tables, columns, types, indexes and row counts, read from a profile's seed steps. Pure.

The SQL files' texts are parsed, never run (the caller reads them): a small tokenizer (strings, quoted identifiers, comments)
finds `CREATE TABLE`, `CREATE [UNIQUE] INDEX`, `ALTER TABLE ... ADD` constraints and
`INSERT ... VALUES` tuples. Row counts add the rows the SQL inserts to the `rows:` seeds, so a
profile's production scale (e.g. 20,000 orders) is what an agent learns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envsim.config.profile_model import Profile, RowsSeed, SqlSeed

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<dollar>\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$)
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<punct>::|[(),;.\[\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

# Words after a column's name that end its type.
_CONSTRAINT_WORDS = {
    "NOT",
    "NULL",
    "PRIMARY",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "REFERENCES",
    "GENERATED",
    "CONSTRAINT",
    "COLLATE",
}
_TABLE_CONSTRAINTS = {"PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN", "CHECK", "EXCLUDE"}


def tokens(sql: str) -> list[str]:
    """Significant tokens; keywords upper-cased, quoted identifiers unquoted, strings kept."""
    out: list[str] = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        text = match.group()
        if kind in ("space", "comment"):
            continue
        if kind == "word":
            out.append(text.upper() if text.upper() in _KEEP_UPPER else text.lower())
        elif kind == "quoted":
            out.append(text[1:-1].replace('""', '"'))
        else:
            out.append(text)
    return out


_KEEP_UPPER = {
    "CREATE",
    "TABLE",
    "IF",
    "NOT",
    "EXISTS",
    "INDEX",
    "UNIQUE",
    "ON",
    "USING",
    "WHERE",
    "INSERT",
    "INTO",
    "VALUES",
    "ALTER",
    "ADD",
    "CONSTRAINT",
    "PRIMARY",
    "KEY",
    "FOREIGN",
    "REFERENCES",
    "NULL",
    "DEFAULT",
    "CHECK",
    "GENERATED",
    "COLLATE",
    "EXCLUDE",
    "CONCURRENTLY",
    "ONLY",
    "TEMP",
    "TEMPORARY",
    "UNLOGGED",
    "OR",
    "REPLACE",
    "INCLUDE",
    "SELECT",
    "IS",
    "AND",
    "IN",
    "LIKE",
}


def statements(sql: str) -> list[list[str]]:
    result: list[list[str]] = []
    current: list[str] = []
    for token in tokens(sql):
        if token == ";":
            if current:
                result.append(current)
            current = []
        else:
            current.append(token)
    if current:
        result.append(current)
    return result


def _split_top(items: list[str]) -> list[list[str]]:
    """Split a parenthesised body's tokens on top-level commas."""
    parts: list[list[str]] = [[]]
    depth = 0
    for token in items:
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        if token == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def _group(items: list[str], start: int) -> tuple[list[str], int]:
    """The tokens inside the parentheses opening at `start`, and the index after them."""
    depth = 0
    for index in range(start, len(items)):
        if items[index] == "(":
            depth += 1
        elif items[index] == ")":
            depth -= 1
            if depth == 0:
                return items[start + 1 : index], index + 1
    return items[start + 1 :], len(items)


def _name(items: list[str], index: int) -> tuple[str, int]:
    """A possibly schema-qualified name at `index`: the last part, and the index after it."""
    name = items[index]
    index += 1
    while index + 1 < len(items) and items[index] == ".":
        name = items[index + 1]
        index += 2
    return name, index


def _skip(items: list[str], index: int, *words: str) -> int:
    while index < len(items) and items[index] in words:
        index += 1
    return index


def _type_text(parts: list[str]) -> str:
    text = " ".join(parts)
    return re.sub(r"\s*([(),\[\]])\s*", r"\1", text).replace(",", ", ").strip()


class _Schema:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {}

    def table(self, name: str) -> dict[str, Any]:
        return self.tables.setdefault(name, {"name": name, "columns": [], "indexes": [], "rows": 0, "sources": []})

    def create_table(self, items: list[str], source: str) -> None:
        index = _skip(items, 1, "OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "TABLE", "IF", "NOT", "EXISTS")
        name, index = _name(items, index)
        if index >= len(items) or items[index] != "(":
            return
        body, _ = _group(items, index)
        table = self.table(name)
        table["sources"].append(source)
        for element in _split_top(body):
            if element[0] in _TABLE_CONSTRAINTS:
                self._table_constraint(table, element)
            else:
                self._column(table, element)

    def _column(self, table: dict[str, Any], element: list[str]) -> None:
        type_parts: list[str] = []
        rest_at = len(element)
        for position, token in enumerate(element[1:], start=1):
            if token in _CONSTRAINT_WORDS:
                rest_at = position
                break
            type_parts.append(token)
        rest = element[rest_at:]
        column = {
            "name": element[0],
            "type": _type_text(type_parts),
            "nullable": not _has(rest, "NOT", "NULL") and not _has(rest, "PRIMARY", "KEY"),
        }
        defaults = [i for i, token in enumerate(rest) if token == "DEFAULT" and (i == 0 or rest[i - 1] != "by")]
        if defaults:
            column["default"] = _type_text(_until_constraint(rest[defaults[0] + 1 :]))
        if "GENERATED" in rest:
            after = rest[rest.index("GENERATED") + 1 :]
            column["generated"] = (
                "identity (by default)" if after[:2] == ["by", "DEFAULT"] else _type_text(_until_constraint(after))
            )
        if "REFERENCES" in rest:
            target, _ = _name(rest, rest.index("REFERENCES") + 1)
            column["references"] = target
        table["columns"].append(column)
        if _has(rest, "PRIMARY", "KEY"):
            self._index(table, f"{table['name']}_pkey", [element[0]], unique=True, kind="primary key")
        elif "UNIQUE" in rest:
            self._index(table, f"{table['name']}_{element[0]}_key", [element[0]], unique=True, kind="unique")

    def _table_constraint(self, table: dict[str, Any], element: list[str]) -> None:
        name = None
        if element[0] == "CONSTRAINT" and len(element) > 2:
            name, element = element[1], element[2:]
        if element[:2] == ["PRIMARY", "KEY"] and "(" in element:
            columns = _columns(element, element.index("("))
            self._index(table, name or f"{table['name']}_pkey", columns, unique=True, kind="primary key")
        elif element[0] == "UNIQUE" and "(" in element:
            columns = _columns(element, element.index("("))
            self._index(table, name or f"{table['name']}_{'_'.join(columns)}_key", columns, unique=True, kind="unique")

    def _index(
        self,
        table: dict[str, Any],
        name: str,
        columns: list[str],
        *,
        unique: bool,
        kind: str,
        method: str = "btree",
        where: str | None = None,
    ) -> None:
        table["indexes"] = [i for i in table["indexes"] if i["name"] != name]
        entry: dict[str, Any] = {"name": name, "columns": columns, "unique": unique, "kind": kind, "method": method}
        if where:
            entry["where"] = where
        table["indexes"].append(entry)

    def create_index(self, items: list[str]) -> None:
        unique = len(items) > 1 and items[1] == "UNIQUE"
        index = _skip(items, 1, "UNIQUE", "INDEX", "CONCURRENTLY", "IF", "NOT", "EXISTS")
        name = None
        if index < len(items) and items[index] != "ON":
            name, index = _name(items, index)
        if index >= len(items) or items[index] != "ON":
            return
        table_name, index = _name(items, _skip(items, index + 1, "ONLY"))
        method = "btree"
        if index + 1 < len(items) and items[index] == "USING":
            method, index = items[index + 1], index + 2
        if index >= len(items) or items[index] != "(":
            return
        body, after = _group(items, index)
        columns = [_type_text(part) for part in _split_top(body)]
        where = _type_text(items[items.index("WHERE", after) + 1 :]) if "WHERE" in items[after:] else None
        table = self.table(table_name)
        self._index(
            table,
            name or f"{table_name}_{'_'.join(columns)}_idx",
            columns,
            unique=unique,
            kind="unique index" if unique else "index",
            method=method,
            where=where,
        )

    def alter_table(self, items: list[str]) -> None:
        index = _skip(items, 1, "TABLE", "IF", "EXISTS", "ONLY")
        name, index = _name(items, index)
        if index < len(items) and items[index] == "ADD" and name in self.tables:
            element = items[index + 1 :]
            if element and element[0] in _TABLE_CONSTRAINTS:
                self._table_constraint(self.tables[name], element)

    def insert(self, items: list[str]) -> None:
        if len(items) < 3 or items[1] != "INTO":
            return
        name, index = _name(items, 2)
        if "VALUES" not in items[index:]:
            return
        at = items.index("VALUES", index) + 1
        count = 0
        while at < len(items) and items[at] == "(":
            _, at = _group(items, at)
            count += 1
            if at < len(items) and items[at] == ",":
                at += 1
        self.table(name)["rows"] += count


def _has(items: list[str], first: str, second: str) -> bool:
    return any(a == first and b == second for a, b in zip(items, items[1:]))


def _until_constraint(items: list[str]) -> list[str]:
    out: list[str] = []
    depth = 0
    for token in items:
        depth += token == "("
        depth -= token == ")"
        if depth == 0 and token in _CONSTRAINT_WORDS:
            break
        out.append(token)
    return out


def _columns(items: list[str], start: int) -> list[str]:
    body, _ = _group(items, start)
    return [_type_text(part) for part in _split_top(body)]


def parse_sql(sql: str, source: str = "", schema: _Schema | None = None) -> dict[str, dict[str, Any]]:
    """Tables declared and rows inserted by one SQL text: table name -> description."""
    schema = schema or _Schema()
    for items in statements(sql):
        head = items[0]
        if head == "CREATE":
            rest = [t for t in items[1:4] if t not in ("OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "UNIQUE")]
            if rest and rest[0] == "TABLE":
                schema.create_table(items, source)
            elif rest and rest[0] == "INDEX":
                schema.create_index(items)
        elif head == "ALTER" and len(items) > 1 and items[1] == "TABLE":
            schema.alter_table(items)
        elif head == "INSERT":
            schema.insert(items)
    return schema.tables


def describe_data(profile: Profile, sql_texts: Mapping[Path, str]) -> dict[str, Any]:
    """Per database service: its tables (columns, types, indexes) and the rows the seeds leave.

    `sql_texts` holds the text of each SQL seed file (`seed_sql_files(profile)`)."""
    databases = []
    for service in profile.services:
        if not service.seed:
            continue
        schema = _Schema()
        generated: list[dict[str, Any]] = []
        for step in service.seed:
            if isinstance(step, SqlSeed):
                parse_sql(sql_texts[step.file], _relative(step.file, profile.root), schema)
            elif isinstance(step, RowsSeed):
                if step.create:
                    parse_sql(step.create, f"{service.name}: rows into {step.table} (create)", schema)
                table = schema.table(step.table)
                table["rows"] += step.count
                generated.append(
                    {
                        "table": step.table,
                        "count": step.count,
                        "columns": {name: gen.kind for name, gen in step.columns},
                    }
                )
        databases.append(
            {
                "service": service.name,
                "image": service.image,
                "tables": sorted(schema.tables.values(), key=lambda t: t["name"]),
                "generated_rows": generated,
                "seed_files": [_relative(s.file, profile.root) for s in service.seed if isinstance(s, SqlSeed)],
            }
        )
    return {
        "profile": profile.name,
        "rows_note": "rows: what the seeds leave at this profile's scale (SQL inserts plus generated rows), "
        "before any traffic",
        "databases": databases,
    }


def seed_sql_files(profile: Profile) -> list[Path]:
    """The SQL files the profile's seed steps run, in order."""
    return [step.file for service in profile.services for step in service.seed if isinstance(step, SqlSeed)]


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return path.name
