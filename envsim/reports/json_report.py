"""The verdict as JSON, with enough of the run to read it on its own."""

from __future__ import annotations

import json

from envsim.journal import Journal
from envsim.verdict.result import Verdict


def render_json(journal: Journal, verdict: Verdict) -> str:
    document = {
        "envsim_verdict": 1,
        "passed": verdict.passed,
        "status": verdict.word.lower(),
        "summary": verdict.summary_line(),
        "run": {
            "run_id": journal.run_id,
            "scenario": journal.scenario,
            "profile": journal.profile,
            "started_at": journal.started_at,
            "ended_at": journal.ended_at,
            "duration": journal.duration,
            "interrupted": journal.interrupted,
            "error": journal.error,
        },
        "faults": [
            {"fault": e.fault, "action": e.action, "scheduled": e.scheduled, "actual": e.actual, "detail": e.detail}
            for e in journal.faults
        ],
        **{k: v for k, v in verdict.to_dict().items() if k not in ("passed",)},
    }
    # allow_nan=False: a measurement is a number or null, so every JSON reader accepts the file
    return json.dumps(document, indent=2, allow_nan=False) + "\n"
