"""The vocabulary of checks and their one readable form, shared by the loader (labels) and
the verdict (a check read back from a journal without a label)."""

from __future__ import annotations

from envsim.config.model import (
    Check,
    CommandInvariant,
    HttpInvariant,
    MetricCheck,
    RecoveryCheck,
    RedisInvariant,
    SqlInvariant,
    StubInvariant,
)
from envsim.units import format_duration

COMPARATORS = ("below", "above", "at_most", "at_least", "equals")
LABEL_SYMBOLS = {"below": "<", "above": ">", "at_most": "<=", "at_least": ">=", "equals": "=="}
LATENCY_METRICS = ("p50", "p90", "p95", "p99", "avg", "max")
METRICS = LATENCY_METRICS + ("error_rate", "rps")


def bound_text(metric: str, bound: float) -> str:
    """A bound in the unit a user writes it in: ms/s for latency, % for rates."""
    if metric in LATENCY_METRICS or metric == "recovery_time":
        return format_duration(bound)
    if metric == "error_rate":
        return f"{bound * 100:g}%"
    return f"{bound:g}"


def _expected_text(check: SqlInvariant | RedisInvariant | CommandInvariant | StubInvariant) -> str:
    if check.expected_count_of is not None:
        target = f"{check.expected_count_of[0]} of {check.expected_count_of[1]}"
    else:
        target = f"{check.expected:g}" if check.expected is not None else "?"
    tolerance = f" ± {check.tolerance:g}" if check.tolerance else ""
    return f"{LABEL_SYMBOLS[check.comparator or 'equals']} {target}{tolerance}"


def check_label(check: Check) -> str:
    """A short human text, e.g. `p95 of browse < 300ms during db-slow`."""
    if isinstance(check, MetricCheck):
        text = check.metric + (f" of {check.endpoint}" if check.endpoint else "")
        text += f" {LABEL_SYMBOLS[check.comparator]} {bound_text(check.metric, check.bound)}"
        if check.phase == "baseline":
            return text + " in the baseline"
        if check.phase != "run":
            kind, _, fault = check.phase.partition(":")
            return text + f" {kind} {fault}"
        return text
    if isinstance(check, RecoveryCheck):
        return f"recovery after {check.fault} {LABEL_SYMBOLS[check.comparator]} {bound_text('recovery_time', check.bound)}"
    if isinstance(check, SqlInvariant):
        return f"sql on {check.service} {_expected_text(check)}"
    if isinstance(check, HttpInvariant):
        text = f"{check.method} {check.path} on {check.service} -> {check.expect_status}"
        return text + (f", {check.expect}" if check.expect else "")
    if isinstance(check, RedisInvariant):
        return f"redis {' '.join(check.command)} on {check.service} {_expected_text(check)}"
    if isinstance(check, CommandInvariant):
        text = f"{' '.join(check.command)} on {check.service}"
        if check.exit_code is not None:
            text += f" exits {check.exit_code}"
        if check.comparator is not None:
            text += (", output " if check.exit_code is not None else " output ") + _expected_text(check)
        return text
    if isinstance(check, StubInvariant):
        calls = f"calls to {check.service}" + (f" {check.request}" if check.request else "")
        if check.statuses:
            calls += f" answered {'/'.join(map(str, check.statuses))}"
        if check.kind == "header":
            return f"{check.header} on every {calls.replace('calls', 'call', 1)}"
        if check.kind == "backoff":
            floor = f", at least {check.backoff_at_least:g}s" if check.backoff_at_least else ""
            return (f"{calls}: backoff after {'/'.join(map(str, check.backoff_after))} "
                    f"(Retry-After{floor}, same {check.backoff_key})")
        return f"{calls} {_expected_text(check)}"
    raise TypeError(f"not a check: {check!r}")
