"""`{exec: {service: db, cmd: [pg_isready, ...]}, exit: 0}`: a read-only command (an argument
list) run in the service's container after the load: its exit status and, with a comparator,
the number its output starts with."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.check_kinds import record, result_checks
from envsim.config.check_kinds.kind import (
    COMPARATORS,
    CheckKind,
    Comparator,
    Judgement,
    Measurements,
    Probed,
    ProbeTools,
    ScenarioContext,
    compare,
    whole_run,
)
from envsim.config.service_kind import STUB, service_kind
from envsim.config.yamlload import TreePath
from envsim.errors import Problem

_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class CommandInvariant:
    """A read-only command (an argument list) run in the service's container: its exit status
    and, with a comparator, the number its output starts with."""

    service: str
    command: tuple[str, ...]
    exit_code: int | None = 0  # None: any exit status
    comparator: Comparator | None = None  # None: the exit status only
    expected: float | None = None
    expected_count_of: tuple[str, str] | None = None
    tolerance: float = 0.0
    label: str = ""


def _build(written: Mapping[str, Any], context: ScenarioContext) -> CommandInvariant:
    comparator = result_checks.written_comparator(written)
    expected, count_of = result_checks.build_expected(written, comparator, context)
    exit_code = written.get("exit", 0)
    return CommandInvariant(
        service=written["exec"]["service"],
        command=tuple(written["exec"]["cmd"]),
        exit_code=None if exit_code == "any" else exit_code,
        comparator=comparator,
        expected=expected,
        expected_count_of=count_of,
        tolerance=float(written.get("tolerance", 0)),
    )


def _a_stub(service: Any) -> str | None:
    if service_kind(service)[0] != STUB:
        return None
    return f"'{service.name}' is a stub: envsim runs it, so a command in its container tells nothing about the app"


def _refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    problems = result_checks.service_refs(written, "exec", here, context, _a_stub) + result_checks.counted_refs(
        written, here, context
    )
    given = [c for c in COMPARATORS if c in written]
    if len(given) > 1:
        problems.append(
            context.problem(here + (given[1],), f"one comparator per check ({', '.join(given)} given)", key=True)
        )
    return problems


def _label(check: CommandInvariant) -> str:
    text = f"{' '.join(check.command)} on {check.service}"
    if check.exit_code is not None:
        text += f" exits {check.exit_code}"
    if check.comparator is not None:
        text += (", output " if check.exit_code is not None else " output ") + result_checks.expected_text(check)
    return text


def _to_record(check: CommandInvariant) -> dict[str, Any]:
    return {
        "service": check.service,
        "command": list(check.command),
        "exit_code": check.exit_code,
        "comparator": check.comparator,
        **result_checks.expected_record(check),
    }


def _from_record(data: Mapping[str, Any], where: str, label: str) -> CommandInvariant:
    exit_code = data.get("exit_code")
    comparator = record.optional_comparator(data, where)
    return CommandInvariant(
        service=str(record.field(data, "service", where)),
        command=record.command(data, where),
        exit_code=None if exit_code is None else int(record.number(exit_code, where, "exit_code")),
        comparator=comparator,
        label=label,
        **result_checks.expected_from_record(data, where, required=comparator is not None),
    )


def not_found(code: int | None, text: str) -> bool:
    """Whether a command run in a container failed because its program is not there."""
    return code in (126, 127) or "executable file not found" in text or "no such file or directory" in text


def parse_leading_number(output: str) -> float | None:
    """The number an output starts with: `42`, `42 /etc/passwd` (wc), `1.5\\n`; else None."""
    words = output.split()
    if not words or not _NUMBER.match(words[0]):
        return None
    return float(words[0])


def _probe(check: CommandInvariant, tools: ProbeTools) -> Probed:
    code, stdout, stderr = tools.exec(check.service, list(check.command))
    if not_found(code, stdout + stderr) and code != 0 and not stdout:
        return Probed(
            False, None, (stderr.strip() or stdout.strip() or f"{check.command[0]}: not found")[:300], (("exit", code),)
        )
    shown = (stdout.strip() or stderr.strip())[:200]
    if check.comparator is None:
        return Probed(True, None, shown, (("exit", code),))
    return Probed(True, parse_leading_number(stdout), shown, (("exit", code),))


def _judge(check: CommandInvariant, cid: str, measurements: Measurements) -> Judgement:
    comparator = check.comparator or "equals"

    def result(passed: bool, measured: float | None, bound: float | None, reason: str) -> Judgement:
        return Judgement(passed, measured, bound, "count" if check.comparator else "exit", reason, comparator)

    expected, source = result_checks.expected_value(check, measurements) if check.comparator else (None, "")
    if check.comparator is not None and expected is None:
        return result(False, None, None, source)
    probe = measurements.latest_probe(cid)
    bound = expected if check.comparator else (None if check.exit_code is None else float(check.exit_code))
    if probe is None:
        return result(False, None, bound, f"no data: no probe result recorded for {cid}")
    if not probe.ok:
        return result(False, None, bound, f"command failed to run: {probe.detail or 'no output'}")
    exit_code = dict(probe.values).get("exit")
    output = f" (output: {probe.detail!r})" if probe.detail else ""
    if check.exit_code is not None and exit_code != check.exit_code:
        measured = float(exit_code) if isinstance(exit_code, int) and not check.comparator else None
        return result(False, measured, bound, f"exited with {exit_code}, expected {check.exit_code}{output}")
    if check.comparator is None:
        measured = float(exit_code) if isinstance(exit_code, int) else None
        return result(True, measured, bound, f"exited with {exit_code}{output}")
    assert expected is not None
    if probe.value is None:
        return result(False, None, expected, f"the output does not start with a number{output}")
    passed = compare(probe.value, comparator, expected, check.tolerance)
    detail = result_checks.bound_detail(source, comparator, expected, check)
    return result(passed, probe.value, expected, f"output {probe.value:g}; {detail}")


KIND = CheckKind(
    name="exec",
    model=CommandInvariant,
    written_as="exec",
    schema="exec_check",
    claims=lambda written: "exec" in written,
    build=_build,
    refs=_refs,
    label=_label,
    to_record=_to_record,
    from_record=_from_record,
    probe=_probe,
    judge=_judge,
    judged_phase=whole_run,
)
