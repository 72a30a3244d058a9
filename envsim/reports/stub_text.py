"""What the app sent its stubs (calls by route and status, from the journal) and the credential
rotations of the run, as plain rows for the Markdown and HTML reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from envsim.config.check_kinds import MetricCheck, StubInvariant
from envsim.journal import Journal, check_id
from envsim.verdict.result import Verdict

# the answers that mean the app did something a provider refuses: no/expired/wrong credential,
# a retired API version, over its quota
CALLED_OUT = {401: "unauthorized", 403: "forbidden", 410: "gone (deprecated version)", 429: "throttled"}


@dataclass(frozen=True)
class StubCallRow:
    route: str
    status: str  # "503", or "dropped" when the stub closed the connection without an answer
    during: str  # the fault whose window the calls came in, "" outside every fault on the stub
    count: int
    note: str  # why the status is called out, "" when it is not


def stub_tables(journal: Journal) -> dict[str, list[StubCallRow]]:
    """stub service -> its calls by route, fault window and status, from the journal's stub_calls."""
    tables: dict[str, list[StubCallRow]] = {}
    for row in journal.extra.get("stub_calls") or ():
        status = row.get("status")
        tables.setdefault(str(row.get("service")), []).append(
            StubCallRow(
                str(row.get("route")),
                "dropped" if status is None else str(status),
                str(row.get("during") or ""),
                int(row.get("count", 0)),
                CALLED_OUT.get(status, ""),
            )
        )
    return tables


def window_lines(rows: list[StubCallRow]) -> list[str]:
    """A fault's effect on a stub, measured: per fault window, the calls and the share of each
    answer that was not a success ("payments-flaky: 130 calls, 503 x 13 (10.0%)")."""
    lines = []
    for fault in sorted({row.during for row in rows if row.during}):
        inside = [row for row in rows if row.during == fault]
        total = sum(row.count for row in inside)
        failed: Counter[str] = Counter()
        for row in inside:
            if not row.status.startswith("2"):
                failed[row.status] += row.count
        shares = ", ".join(f"{status} x {n} ({100 * n / total:.1f}%)" for status, n in sorted(failed.items()))
        lines.append(f"during {fault}: {total} calls, " + (shares or "all answered 2xx"))
    return lines


def rotation_lines(journal: Journal) -> list[str]:
    lines = []
    for r in journal.rotations:
        where = ", ".join([*(f"stub {s}" for s in r.stubs), *(f"file {f}" for f in r.files)]) or "nowhere"
        retired = (
            "" if r.retired is None or abs(r.retired - r.t) < 0.5 else f"; previous value rejected at {r.retired:.1f}s"
        )
        problem = f"; problems: {r.detail}" if r.detail else ""
        lines.append(f"{r.t:.1f}s: {r.credential} rotated ({where}){retired}{problem}")
    return lines


def _failed_on_calls(journal: Journal, verdict: Verdict) -> bool:
    """Whether an error-rate or stub check failed: the stubs' answers may be why."""
    checks = {check_id(index): check for index, check in enumerate(journal.checks)}
    for result in verdict.failed:
        check = checks.get(result.check_id)
        if isinstance(check, StubInvariant) or (isinstance(check, MetricCheck) and check.metric == "error_rate"):
            return True
    return False


def stub_count_lines(journal: Journal, verdict: Verdict) -> list[str]:
    """The stubs' answers by route and status ("payments POST /v1/charges: 503 x 13 during
    pay-flaky"), and each fault window's effect, when an error-rate or stub check failed."""
    if verdict.passed or not _failed_on_calls(journal, verdict):
        return []
    lines: list[str] = []
    for service, rows in stub_tables(journal).items():
        for row in rows:
            during = f" during {row.during}" if row.during else ""
            note = f" ({row.note})" if row.note else ""
            lines.append(f"{service} {row.route}: {row.status} x {row.count}{during}{note}")
        lines += [f"{service} {line}" for line in window_lines(rows)]
    return lines
