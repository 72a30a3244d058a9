"""A self-contained HTML report: one file, no script, no external URL.

A Content-Security-Policy forbids loading anything, so the report opens the same offline,
in a CI artifact viewer, or attached to a ticket. Every value that came from a user's file
or from the run is escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from envsim.journal import Journal, fault_windows
from envsim.reports.charts import FAULT_COLOURS, charts
from envsim.reports.environment import displayed_environment, other_version_lines, same_series_lines
from envsim.reports.failure_text import check_failures, check_reason, generator_line, phase_lines, result_status
from envsim.reports.service_logs import service_log_sections
from envsim.reports.slow_cause import slow_cause_sections
from envsim.reports.stub_text import rotation_lines, stub_tables, window_lines
from envsim.verdict.formatting import format_bound, format_value
from envsim.verdict.result import Verdict

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2937;margin:0;background:#f8fafc}
main{max-width:1060px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.meta{color:#64748b}.meta code{color:#334155}
.badge{display:inline-block;padding:4px 12px;border-radius:6px;font-weight:700;color:#fff;margin:12px 0}
.pass{background:#16a34a}.fail{background:#dc2626}.inconclusive{background:#d97706}
.notes{color:#b91c1c}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #e2e8f0}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{background:#f1f5f9;font-weight:600}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
tr.failed td{background:#fef2f2}
.result-pass{color:#15803d;font-weight:700}.result-fail{color:#b91c1c;font-weight:700}
.result-inconclusive{color:#b45309;font-weight:700}
.reason{color:#475569}
.chart{width:100%;height:auto;background:#fff;border:1px solid #e2e8f0;margin-bottom:10px;display:block}
.chart-title{font-weight:600;font-size:13px;fill:#334155}
.tick{font-size:11px;fill:#64748b}.grid{stroke:#eef2f7}.axis{stroke:#94a3b8}
.fault-label{font-size:11px;font-weight:600}
.hover{fill:transparent}.hover:hover{fill:#0f172a;fill-opacity:.06}
.empty{fill:#94a3b8}
.legend span{display:inline-block;margin-right:14px}.swatch{display:inline-block;width:12px;height:12px;
border-radius:2px;vertical-align:-1px;margin-right:4px}
#run th,#environment th{width:24%}
pre{background:#fff;border:1px solid #e2e8f0;padding:8px;overflow:auto;margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
#run td,#environment td,ul.notes,ul.stand-in-series{overflow-wrap:anywhere}
.stand-in-series{color:#92400e}
"""


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return f"<pre>{escape(json.dumps(value, indent=1, sort_keys=True, default=str))}</pre>"
    return escape(str(value))


def _checks_table(verdict: Verdict) -> str:
    rows = []
    for r in verdict.results:
        word = result_status(r)
        status = f'<span class="result-{word.lower()}">{word}</span>'
        rows.append(
            f'<tr class="{_row_class(word)}"><td>{status}</td><td>{escape(r.label)}'
            f'<br><small class="meta">{escape(r.check_id)}</small></td>'
            f'<td class="num">{escape(format_value(r.measured, r.unit))}</td><td class="num">{escape(format_bound(r))}</td>'
            f'<td class="reason">{escape(check_reason(r))}{_failures_note(r)}</td></tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="5">no checks defined</td></tr>')
    return (
        '<table id="checks"><thead><tr><th>Result</th><th>Check</th><th>Measured</th><th>Bound</th><th>Detail</th>'
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


BADGE_CLASSES = {"PASSED": "pass", "FAILED": "fail", "INCONCLUSIVE": "inconclusive"}


def _row_class(word: str) -> str:
    return {"PASS": "passed", "FAIL": "failed"}.get(word, "inconclusive")


def _failures_note(result: Any) -> str:
    text = check_failures(result)
    return f'<br><small class="top-failures">{escape(text)}</small>' if text else ""


def _why_failed(verdict: Verdict) -> str:
    lines = phase_lines(verdict)
    if not lines:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f'<h2>Why requests failed</h2><ul id="failure-reasons">{items}</ul>'


def _service_logs(journal: Journal, verdict: Verdict) -> str:
    slow = "".join(
        f'<h2>{escape(heading)}</h2><pre class="slow-cause">{escape(chr(10).join(body))}</pre>'
        for heading, body in slow_cause_sections(journal, verdict)
    )
    return slow + "\n".join(
        f'<h2>{escape(heading)}</h2><pre class="logs">{escape(chr(10).join(body))}</pre>'
        for heading, body in service_log_sections(journal, verdict)
    )


def _faults_table(journal: Journal) -> str:
    if not journal.faults:
        return '<p class="meta">No faults in this run.</p>'
    rows = "".join(
        f'<tr><td>{escape(e.fault)}</td><td>{escape(e.action)}</td><td class="num">{e.scheduled:.1f}s</td>'
        f'<td class="num">{e.actual:.2f}s</td><td>{escape(e.detail)}</td></tr>'
        for e in sorted(journal.faults, key=lambda e: e.actual)
    )
    return (
        '<table id="faults"><thead><tr><th>Fault</th><th>Event</th><th>Scheduled</th><th>Actual</th><th>Detail</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _legend(journal: Journal) -> str:
    names: list[str] = []
    for window in fault_windows(journal.faults):
        if window.fault not in names:
            names.append(window.fault)
    spans = "".join(
        f'<span><i class="swatch" style="background:{FAULT_COLOURS[i % len(FAULT_COLOURS)]}"></i>{escape(name)}</span>'
        for i, name in enumerate(names)
    )
    return f'<p class="legend">Shaded: fault windows (actual times). {spans}</p>' if names else ""


def _key_values(table_id: str, mapping: dict[str, Any], sort: bool = False) -> str:
    if not mapping:
        return '<p class="meta">Nothing recorded.</p>'
    items = sorted(mapping.items()) if sort else mapping.items()
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{_cell(v)}</td></tr>" for k, v in items)
    return f'<table id="{table_id}"><tbody>{rows}</tbody></table>'


def _container_events(journal: Journal) -> str:
    if not journal.container_events:
        return ""
    rows = "".join(
        f'<tr><td class="num">{e.t:.1f}s</td><td>{escape(e.service)}</td><td>{escape(e.container)}</td>'
        f"<td>{escape(e.action)}</td><td>{escape(e.detail)}</td></tr>"
        for e in journal.container_events
    )
    return (
        "<h2>Container events</h2><table><thead><tr><th>Time</th><th>Service</th><th>Container</th><th>Event</th>"
        f"<th>Detail</th></tr></thead><tbody>{rows}</tbody></table>"
    )


FAIL_ROW = ' class="fail"'


def _stand_in_warning(journal: Journal) -> str:
    """Red when a stand-in ran another series than pinned; a quieter note for a patch level apart."""
    parts = []
    others = other_version_lines(journal.environment)
    if others:
        items = "".join(f"<li>{escape(line)}</li>" for line in others)
        parts.append(
            f'<p class="notes" id="stand-ins"><strong>Offline stand-ins of other versions than the profile '
            f'pins ran in this stack:</strong></p><ul class="notes">{items}</ul>'
        )
    same_series = same_series_lines(journal.environment)
    if same_series:
        items = "".join(f"<li>{escape(line)}</li>" for line in same_series)
        parts.append(
            '<p class="stand-in-series" id="stand-ins-series">Offline stand-ins of the pinned series, '
            f'another patch level, ran in this stack:</p><ul class="stand-in-series">{items}</ul>'
        )
    return "".join(parts)


def _stubs_and_rotations(journal: Journal) -> str:
    parts = []
    for service, rows in stub_tables(journal).items():
        body = "".join(
            f"<tr{FAIL_ROW if r.note else ''}><td>{escape(r.route)}</td><td>{escape(r.during)}</td>"
            f'<td class="num">{escape(r.status)}</td><td class="num">{r.count}</td><td>{escape(r.note)}</td></tr>'
            for r in rows
        )
        effects = "".join(f"<li>{escape(line)}</li>" for line in window_lines(rows))
        parts.append(
            f'<h2>Calls to stub {escape(service)}</h2><table class="stub-calls" id="stub-{escape(service)}">'
            "<thead><tr><th>Route</th><th>During</th><th>Status</th><th>Calls</th><th></th></tr></thead>"
            f"<tbody>{body}</tbody></table>" + (f'<ul class="stub-windows">{effects}</ul>' if effects else "")
        )
    rotations = rotation_lines(journal)
    if rotations:
        items = "".join(f"<li>{escape(line)}</li>" for line in rotations)
        parts.append(f'<h2>Credential rotations</h2><ul id="rotations">{items}</ul>')
    return "\n".join(parts)


def render_html(journal: Journal, verdict: Verdict) -> str:
    badge = f'<span class="badge {BADGE_CLASSES[verdict.word]}">{verdict.word}</span>'
    notes = "".join(f'<p class="notes">{escape(note)}</p>' for note in verdict.notes)
    if verdict.generator:
        notes += f'<p class="notes" id="load-generator">{escape(generator_line(verdict))}</p>'
    run = {
        "run id": journal.run_id,
        "scenario": journal.scenario,
        "profile": journal.profile,
        "started": journal.started_at,
        "ended": journal.ended_at,
        "load duration": f"{journal.duration:.1f}s",
        "scenario digest": journal.scenario_digest,
        "profile digest": journal.profile_digest,
    }
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>envsim {escape(journal.scenario)} — {verdict.word.lower()} — {escape(journal.run_id)}</title>
<style>{CSS}</style>
</head>
<body><main>
<h1>envsim: {escape(journal.scenario)}</h1>
<div class="meta">run <code>{escape(journal.run_id)}</code> · profile <code>{escape(journal.profile)}</code> ·
started {escape(journal.started_at)} · {journal.duration:.0f}s of load</div>
<div id="verdict">{badge} <span class="meta">{escape(verdict.summary_line())}</span></div>
{notes}
<h2>Checks</h2>
{_checks_table(verdict)}
{_why_failed(verdict)}
{_service_logs(journal, verdict)}
<h2>Load over time</h2>
{_legend(journal)}
<div id="charts">
{charts(journal)}
</div>
<h2>Faults</h2>
{_faults_table(journal)}
{_container_events(journal)}
{_stubs_and_rotations(journal)}
<h2>Run</h2>
{_key_values("run", run)}
<h2>Environment</h2>
{_stand_in_warning(journal)}{_key_values("environment", displayed_environment(journal.environment), sort=True)}
</main></body>
</html>
"""
