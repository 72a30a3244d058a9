"""Running seed plans and SQL probes inside a PostgreSQL container, through `psql`.

psql inside the container connects over the local socket as POSTGRES_USER, so envsim needs
no database driver and no password on the host side, and the queries bypass any fault.
"""

from __future__ import annotations

import io
import tarfile

from envsim.errors import EnvironmentProblem
from envsim.plan.seed import SeedPlan

_PSQL = (
    'exec psql -X -v ON_ERROR_STOP=1 -q -U "${POSTGRES_USER:-postgres}" -d "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"'
)


def _copy_in(container, path: str, data: bytes) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo(path.lstrip("/"))
        info.size = len(data)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(data))
    container.put_archive("/", buffer.getvalue())


SQL_PATH = "/tmp/envsim-sql.sql"  # where the SQL is put in the container for psql -f


def psql_command(
    path: str, *, tuples_only: bool = False, database: str = "", before: str = "", zeroth: str = "sh"
) -> list[str]:
    """psql on the SQL file at `path`, as POSTGRES_USER over the local socket; `before`: shell
    text run first, which may read `zeroth` as "$0"."""
    flags = " -t -A" if tuples_only else ""
    # a later -d wins; the name is passed as an argument, never spliced into the shell text
    other = ' -d "$1"' if database else ""
    return ["sh", "-c", f"{before}{_PSQL}{flags}{other} -f {path}", zeroth, *([database] if database else [])]


def run_sql(container, sql: str, *, tuples_only: bool = False, database: str = "") -> str:
    """Run SQL in the container's database (or `database`); returns stdout, raises on an error."""
    _copy_in(container, SQL_PATH, sql.encode())
    command = psql_command(SQL_PATH, tuples_only=tuples_only, database=database)
    code, output = container.exec_run(command, demux=True)
    stdout = (output[0] or b"").decode("utf-8", "replace")
    stderr = (output[1] or b"").decode("utf-8", "replace")
    if code != 0:
        raise RuntimeError(stderr.strip() or stdout.strip() or f"psql exited with {code}")
    return stdout


def run_seed(container, seed: SeedPlan, notify=lambda message: None) -> None:
    for step in seed.steps:
        notify(f"seeding {step.description}")
        sql = step.file.read_text(encoding="utf-8") if step.file is not None else step.sql or ""
        try:
            run_sql(container, sql)
        except RuntimeError as error:
            raise EnvironmentProblem(
                f"service {seed.service}: seed step '{step.description}' failed: {error}"
            ) from None


def query_number(container, query: str) -> float:
    """The single number a probe query returns (the first column of the first row)."""
    return number_in(run_sql(container, query, tuples_only=True))


def number_in(psql_output: str) -> float:
    """The first column of the first row of psql's tuples-only output, as a number."""
    output = psql_output.strip().splitlines()
    if not output:
        raise RuntimeError("the query returned no rows")
    first = output[0].split("|")[0].strip()
    try:
        return float(first)
    except ValueError:
        raise RuntimeError(f"the query returned {first!r}, not a number") from None
