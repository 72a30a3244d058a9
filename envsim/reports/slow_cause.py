"""Why a latency check failed: the endpoints of its window, slowest first, and what the
databases were busy with while it was measured.

The endpoint table is computed from the journal's per-second histograms, so it is exact for
the check's window. The database part reads what the run collected into the journal's extra
(`slow_statements`: PostgreSQL's slowest normalised statements and the plan of the slowest;
`redis_slowlog`: Redis's SLOWLOG), already redacted when it was collected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from envsim.config.check_kinds import MetricCheck
from envsim.config.check_kinds.metric import LATENCY_METRICS
from envsim.journal import Journal, check_id
from envsim.verdict.metrics import endpoint_keys, points_for, window_stats
from envsim.verdict.phases import Interval, load_end, resolve_phase
from envsim.verdict.result import CheckResult, Verdict

ENDPOINTS_SHOWN = 8
STATEMENTS_SHOWN = 5
PLAN_LINES_SHOWN = 14
SLOWLOG_SHOWN = 5


@dataclass(frozen=True)
class EndpointRow:
    endpoint: str
    requests: int
    p50: float | None  # seconds
    p95: float | None


def endpoint_rows(journal: Journal, intervals: Sequence[Interval]) -> list[EndpointRow]:
    """Each endpoint's requests, p50 and p95 in the intervals, slowest (p95) first."""
    rows = []
    for endpoint in endpoint_keys(journal):
        stats = window_stats(points_for(journal, (endpoint,)), intervals)
        if stats.requests:
            rows.append(EndpointRow(endpoint, stats.requests, stats.percentile(0.50), stats.percentile(0.95)))
    return sorted(rows, key=lambda row: (-(row.p95 or 0.0), -row.requests, row.endpoint))


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}ms"


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip() for row in rows]


def endpoint_lines(rows: Sequence[EndpointRow], limit: int = ENDPOINTS_SHOWN) -> list[str]:
    if not rows:
        return []
    table = [("p95", "p50", "requests", "endpoint")]
    table += [(_ms(r.p95), _ms(r.p50), str(r.requests), r.endpoint) for r in rows[:limit]]
    more = [f"... {len(rows) - limit} more endpoints"] if len(rows) > limit else []
    return [*_table(table), *more]


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def statement_lines(evidence: Mapping[str, Any]) -> list[str]:
    """One PostgreSQL service's slowest statements (mean, max, calls, text) and the plan of the
    slowest; or why there are none."""
    service = str(evidence.get("service", "?"))
    statements = [s for s in evidence.get("statements") or () if isinstance(s, Mapping)]
    if not statements:
        problem = str(evidence.get("problem") or "no statements were recorded while the load ran")
        return [f"{service}: {problem}"]
    lines = [f"{service}: slowest statements while the load ran ({evidence.get('source', 'pg_stat_statements')}):"]
    table = [("mean", "max", "calls", "statement")]
    table += [
        (
            f"{_number(s.get('mean_ms')):.1f}ms",
            f"{_number(s.get('max_ms')):.1f}ms",
            str(int(_number(s.get("calls")))),
            " ".join(str(s.get("query", "")).split()),
        )
        for s in statements[:STATEMENTS_SHOWN]
    ]
    lines += [f"  {line}" for line in _table(table)]
    plan = [str(line) for line in evidence.get("plan") or ()]
    if plan:
        how = str(evidence.get("plan_note") or "EXPLAIN, not run")
        lines.append(f"  plan of the slowest ({how}):")
        lines += [f"    {line}" for line in plan[:PLAN_LINES_SHOWN]]
        if len(plan) > PLAN_LINES_SHOWN:
            lines.append(f"    ... {len(plan) - PLAN_LINES_SHOWN} more plan lines")
    elif evidence.get("plan_problem"):
        lines.append(f"  no plan of the slowest: {evidence['plan_problem']}")
    return lines


def slowlog_lines(evidence: Mapping[str, Any]) -> list[str]:
    """One Redis service's slowest commands from its SLOWLOG (arguments redacted)."""
    service = str(evidence.get("service", "?"))
    entries = [e for e in evidence.get("entries") or () if isinstance(e, Mapping)]
    if not entries:
        problem = evidence.get("problem")
        return [f"{service}: {problem}"] if problem else []
    ordered = sorted(entries, key=lambda e: -_number(e.get("ms")))[:SLOWLOG_SHOWN]
    table = [("took", "command")] + [(f"{_number(e.get('ms')):.1f}ms", str(e.get("command", ""))) for e in ordered]
    return [f"{service}: slowest commands while the load ran (SLOWLOG):", *(f"  {line}" for line in _table(table))]


def database_lines(journal: Journal) -> list[str]:
    """What the databases were busy with during the load, from the journal's extra."""
    lines: list[str] = []
    for evidence in journal.extra.get("slow_statements") or ():
        if isinstance(evidence, Mapping):
            lines += statement_lines(evidence)
    for evidence in journal.extra.get("redis_slowlog") or ():
        if isinstance(evidence, Mapping):
            lines += slowlog_lines(evidence)
    return lines


def _is_latency(check: object) -> bool:
    return isinstance(check, MetricCheck) and check.metric in LATENCY_METRICS


def _intervals(journal: Journal, phase: str) -> tuple[Interval, ...]:
    resolved = resolve_phase(journal, phase)
    return resolved.intervals if resolved.intervals else (Interval(0.0, load_end(journal)),)


def slow_check_lines(journal: Journal, result: CheckResult) -> list[str]:
    """The endpoints of a failed latency check's window and the databases' slowest work; empty
    for any other check."""
    checks = {check_id(index): check for index, check in enumerate(journal.checks)}
    check = checks.get(result.check_id)
    if result.passed or not isinstance(check, MetricCheck) or not _is_latency(check):
        return []
    intervals = _intervals(journal, check.phase)
    spans = ", ".join(f"{i.start:.0f}s-{i.end:.0f}s" for i in intervals[:3])
    lines = [f"endpoints in its window ({spans}), slowest first:"]
    lines += [f"  {line}" for line in endpoint_lines(endpoint_rows(journal, intervals))]
    databases = database_lines(journal)
    if databases and check.phase != "run":  # the databases' statistics are the whole load's
        databases.insert(0, "databases, over the whole load (not only this window):")
    return lines + databases


def slow_cause_sections(journal: Journal, verdict: Verdict) -> list[tuple[str, list[str]]]:
    """(heading, lines) for each failed latency check; empty when none failed."""
    sections = []
    for result in verdict.failed:
        lines = slow_check_lines(journal, result)
        if lines:
            sections.append((f"why {result.label} was slow", lines))
    return sections


def slow_cause_lines(journal: Journal, verdict: Verdict) -> list[str]:
    """The sections as plain text lines, for terminals."""
    lines: list[str] = []
    for heading, body in slow_cause_sections(journal, verdict):
        lines += ["", f"{heading}:", *(f"  {line}" for line in body)]
    return lines
