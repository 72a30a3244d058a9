"""`{redis: {service: cache, command: [SCARD, sessions]}, equals: 3}`: a read-only redis-cli
command in the service's container, its number compared like a sql check's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.check_kinds import record, result_checks
from envsim.config.check_kinds.command import not_found, parse_leading_number
from envsim.config.check_kinds.kind import (
    CheckKind,
    Comparator,
    Judgement,
    Measurements,
    Probed,
    ProbeTools,
    ScenarioContext,
    whole_run,
)
from envsim.config.refs import mapping, sequence, unknown
from envsim.config.service_kind import REDIS, service_kind
from envsim.config.yamlload import TreePath
from envsim.errors import Problem

REDIS_READ_COMMANDS = ("GET", "HGET", "SCARD", "LLEN", "ZCARD", "EXISTS", "STRLEN", "HLEN", "DBSIZE")
_REDIS_CLIENTS = ("redis-cli", "valkey-cli", "keydb-cli")


@dataclass(frozen=True)
class RedisInvariant:
    """A read-only redis-cli command in the service's container, its number compared like sql."""

    service: str
    command: tuple[str, ...]  # ("SCARD", "sessions"); the command name is one of REDIS_READ_COMMANDS
    comparator: Comparator
    expected: float | None = None
    expected_count_of: tuple[str, str] | None = None
    tolerance: float = 0.0
    label: str = ""


def _build(written: Mapping[str, Any], context: ScenarioContext) -> RedisInvariant:
    comparator = result_checks.written_comparator(written)
    expected, count_of = result_checks.build_expected(written, comparator, context)
    command = written["redis"]["command"]
    return RedisInvariant(
        service=written["redis"]["service"],
        command=(command[0].upper(), *command[1:]),
        comparator=comparator,
        expected=expected,
        expected_count_of=count_of,
        tolerance=float(written.get("tolerance", 0)),
    )


def _not_redis(service: Any) -> str | None:
    kind, description = service_kind(service)
    if kind in (REDIS, "unknown"):
        return None
    return (
        f"a redis check runs redis-cli inside the service's container, but '{service.name}' is {description}, not Redis"
    )


def _refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    problems = result_checks.service_refs(written, "redis", here, context, _not_redis) + result_checks.counted_refs(
        written, here, context
    )
    command = sequence(mapping(written.get("redis")).get("command"))
    if command and isinstance(command[0], str) and command[0].upper() not in REDIS_READ_COMMANDS:
        problems.append(
            context.problem(
                here + ("redis", "command", 0),
                unknown("read command", command[0], REDIS_READ_COMMANDS) + " (redis checks only read)",
            )
        )
    return problems


def _label(check: RedisInvariant) -> str:
    return f"redis {' '.join(check.command)} on {check.service} {result_checks.expected_text(check)}"


def _to_record(check: RedisInvariant) -> dict[str, Any]:
    return {
        "service": check.service,
        "command": list(check.command),
        "comparator": check.comparator,
        **result_checks.expected_record(check),
    }


def _from_record(data: Mapping[str, Any], where: str, label: str) -> RedisInvariant:
    return RedisInvariant(
        service=str(record.field(data, "service", where)),
        command=record.command(data, where),
        comparator=record.comparator(data, where),
        label=label,
        **result_checks.expected_from_record(data, where),
    )


def _probe(check: RedisInvariant, tools: ProbeTools) -> Probed:
    for cli in _REDIS_CLIENTS:
        code, stdout, stderr = tools.exec(check.service, [cli, "--no-auth-warning", "--raw", *check.command])
        if not not_found(code, stdout + stderr):
            break
    else:
        return Probed(False, None, f"no redis-cli in the container of {check.service}")
    text = stdout.strip()
    if code != 0 or text.startswith("ERR") or text.startswith("WRONGTYPE") or text.startswith("NOAUTH"):
        return Probed(False, None, (stderr.strip() or text or f"redis-cli exited with {code}")[:300])
    if not text:
        return Probed(False, None, f"{' '.join(check.command)} returned nil (no such key or field)")
    number = parse_leading_number(text)
    if number is None or len(text.split()) != 1:
        return Probed(False, None, f"{' '.join(check.command)} returned {text[:100]!r}, not a number")
    return Probed(True, number, f"{' '.join(check.command)} -> {text}")


def _judge(check: RedisInvariant, cid: str, measurements: Measurements) -> Judgement:
    return result_checks.judge_counted(
        check,
        cid,
        measurements,
        unit="count",
        failure="redis-cli failed",
        measured=lambda probe: f"{' '.join(check.command)} returned {probe.value:g}",
    )


KIND = CheckKind(
    name="redis",
    model=RedisInvariant,
    written_as="redis",
    schema="redis_check",
    claims=lambda written: "redis" in written,
    build=_build,
    refs=_refs,
    label=_label,
    to_record=_to_record,
    from_record=_from_record,
    probe=_probe,
    judge=_judge,
    judged_phase=whole_run,
)
