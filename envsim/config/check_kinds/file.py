"""`{file: {service: db, path: /var/lib/postgresql/data/PG_VERSION}, present: true}`: whether
a path exists in the service's container after the load (a rendered config, a migration's
marker), or, with `present: false`, that it does not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.check_kinds import record, result_checks
from envsim.config.check_kinds.command import not_found
from envsim.config.check_kinds.kind import (
    CheckKind,
    Judgement,
    Measurements,
    Probed,
    ProbeTools,
    ScenarioContext,
    whole_run,
)
from envsim.config.service_kind import STUB, service_kind
from envsim.config.yamlload import TreePath
from envsim.errors import Problem


@dataclass(frozen=True)
class FileCheck:
    """A path in the service's container, expected to exist (`present`) or not."""

    service: str
    path: str  # absolute, as the container sees it
    present: bool = True
    label: str = ""


def _build(written: Mapping[str, Any], context: ScenarioContext) -> FileCheck:
    return FileCheck(
        service=written["file"]["service"],
        path=written["file"]["path"],
        present=written.get("present", True),
    )


def _a_stub(service: Any) -> str | None:
    if service_kind(service)[0] != STUB:
        return None
    return f"'{service.name}' is a stub: envsim runs it, so a file in its container tells nothing about the app"


def _refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    return result_checks.service_refs(written, "file", here, context, _a_stub)


def _label(check: FileCheck) -> str:
    return f"file {check.path} on {check.service} {'present' if check.present else 'absent'}"


def _to_record(check: FileCheck) -> dict[str, Any]:
    return {"service": check.service, "path": check.path, "present": check.present}


def _from_record(data: Mapping[str, Any], where: str, label: str) -> FileCheck:
    present = record.field(data, "present", where)
    if not isinstance(present, bool):
        raise ValueError(f"{where}: present must be true or false, not {present!r}")
    return FileCheck(
        service=str(record.field(data, "service", where)),
        path=str(record.field(data, "path", where)),
        present=present,
        label=label,
    )


def _probe(check: FileCheck, tools: ProbeTools) -> Probed:
    # `test` is a program (coreutils, busybox), so no shell is needed: exit 0 there, 1 not there
    code, stdout, stderr = tools.exec(check.service, ["test", "-e", check.path])
    if code in (0, 1):
        return Probed(True, 1.0 if code == 0 else 0.0, f"{check.path} {'exists' if code == 0 else 'does not exist'}")
    if not_found(code, stdout + stderr):
        return Probed(False, None, f"no `test` program in the container of {check.service}")
    return Probed(False, None, (stderr.strip() or stdout.strip() or f"test -e exited with {code}")[:300])


def _judge(check: FileCheck, cid: str, measurements: Measurements) -> Judgement:
    bound = 1.0 if check.present else 0.0

    def result(passed: bool, measured: float | None, reason: str) -> Judgement:
        # unit "condition": the reports show 1/0 as true/false
        return Judgement(passed, measured, bound, "condition", reason, "equals")

    probe = measurements.latest_probe(cid)
    if probe is None:
        return result(False, None, f"no data: no probe result recorded for {cid}")
    if not probe.ok or probe.value is None:
        return result(False, None, f"the path could not be tested: {probe.detail or 'no value returned'}")
    expected = "present" if check.present else "absent"
    return result(probe.value == bound, probe.value, f"{probe.detail}; expected {expected}")


KIND = CheckKind(
    name="file",
    model=FileCheck,
    written_as="file",
    schema="file_check",
    claims=lambda written: "file" in written,
    build=_build,
    refs=_refs,
    label=_label,
    to_record=_to_record,
    from_record=_from_record,
    probe=_probe,
    judge=_judge,
    judged_phase=whole_run,
)
