"""`envsim schema profile|scenario`: print the packaged JSON Schema."""

from __future__ import annotations

import click


@click.command("schema")
@click.argument("kind", type=click.Choice(["profile", "scenario"]))
def schema(kind: str) -> None:
    """Print the JSON Schema (Draft 2020-12) of a file format.

    Editors and CI linters can use it; `envsim validate` applies it plus the checks
    a schema cannot express (references between names, files that must exist).

    \b
    Examples:
      envsim schema profile > profile.schema.json
      envsim schema scenario
    """
    from envsim.config.schema_check import schema_text

    click.echo(schema_text(kind), nl=False)
