"""JUnit XML: one testsuite for the run, one testcase per check, so CI shows checks as tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from envsim.journal import Journal
from envsim.reports.failure_text import check_failures, generator_line, phase_lines
from envsim.reports.service_logs import service_log_lines
from envsim.reports.slow_cause import slow_check_lines
from envsim.verdict.formatting import format_bound, format_value
from envsim.verdict.result import CheckResult, Verdict


def failure_message(result) -> str:
    return f"measured {format_value(result.measured, result.unit)}, bound {format_bound(result)}: {result.reason}"


def render_junit(journal: Journal, verdict: Verdict) -> str:
    return render_gate_junit([(journal, verdict)])


def render_gate_junit(runs: list[tuple[Journal, Verdict]]) -> str:
    """One <testsuites> with a test suite per scenario run (a single run, or a release gate)."""
    suites = [_suite(journal, verdict) for journal, verdict in runs]
    root = ET.Element(
        "testsuites",
        {
            "name": "envsim",
            "tests": str(sum(len(verdict.results) for _, verdict in runs)),
            "failures": str(sum(len(verdict.failed) for _, verdict in runs)),
            "skipped": str(sum(len(verdict.undecided) for _, verdict in runs)),
        },
    )
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _case(suite: ET.Element, journal: Journal, result: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {"classname": f"envsim.{journal.scenario}", "name": f"{result.check_id}: {result.label}", "time": "0"},
    )
    if result.inconclusive:  # neither passed nor failed: CI shows it as skipped, with why
        ET.SubElement(case, "skipped", {"message": f"inconclusive: {result.inconclusive}"})
    elif not result.passed:
        failure = ET.SubElement(case, "failure", {"message": failure_message(result), "type": "CheckFailed"})
        failure.text = "\n".join(
            filter(None, (failure_message(result), check_failures(result), *slow_check_lines(journal, result)))
        )
    else:
        out = ET.SubElement(case, "system-out")
        out.text = f"measured {format_value(result.measured, result.unit)}, bound {format_bound(result)}"


def _suite(journal: Journal, verdict: Verdict) -> ET.Element:
    # ElementTree escapes text and attributes, so user-written labels cannot break the XML.
    failures = len(verdict.failed)
    skipped = len(verdict.undecided)
    suite = ET.Element(
        "testsuite",
        {
            "name": f"envsim.{journal.scenario}",
            "tests": str(len(verdict.results)),
            "failures": str(failures),
            "errors": "0",
            "skipped": str(skipped),
            "time": f"{journal.duration:.3f}",
            "timestamp": journal.started_at,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", journal.run_id),
        ("profile", journal.profile),
        ("verdict", verdict.word.lower()),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for result in verdict.results:
        _case(suite, journal, result)
    why = phase_lines(verdict)
    logs = service_log_lines(journal, verdict)
    generator = generator_line(verdict)
    if verdict.notes or why or logs or generator:
        err = ET.SubElement(suite, "system-err")
        err.text = "\n".join(
            [
                *verdict.notes,
                *([generator] if generator else []),
                *(["why requests failed:", *why] if why else []),
                *(["what the services said:", *logs] if logs else []),
            ]
        )
    return suite
