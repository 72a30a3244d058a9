"""Measuring a scenario's invariants on the live stack after the load: SQL queries, HTTP probes
(status and JSON fields), redis-cli reads and read-only commands in service containers.

The probe only measures; comparing against the expected value is the verdict's job, so a
saved journal can be re-judged. Probes bypass Toxiproxy (direct ports, psql inside the
container), so a fault still active cannot distort them.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Mapping, Sequence

from envsim.config.expr import ExprError, parse as parse_expression, paths as expression_paths, read_path, recorded_value, MISSING
from envsim.config.model import CommandInvariant, HttpInvariant, RedisInvariant, Scenario, SqlInvariant, StubInvariant
from envsim.engine.apply import StackHandle
from envsim.engine.seeding import query_number
from envsim.engine.stub_calls import CallWindow, MockServerError, measure as measure_stub, read_exchanges, traffic
from envsim.plan.seed import quote_literal
from envsim.journal import ProbeResult
from envsim.journal.checks import check_id

if TYPE_CHECKING:
    import docker


def sql_with_run_start(query: str, run_start: datetime) -> str:
    return query.replace(":run_start", f"{quote_literal(run_start.isoformat())}::timestamptz")


def _sql_probe(client, handle: StackHandle, check: SqlInvariant, run_start: datetime) -> tuple[bool, float | None, str]:
    container = client.containers.get(handle.plan.containers_of(check.service)[0].name)
    try:
        return True, query_number(container, sql_with_run_start(check.query, run_start)), ""
    except RuntimeError as error:
        return False, None, str(error)


MAX_ANSWER = 1 << 20  # bytes of an http check's answer read for its JSON fields
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_REDIS_CLIENTS = ("redis-cli", "valkey-cli", "keydb-cli")


def _exec(container, command: list[str]) -> tuple[int | None, str, str]:
    """Exit status, stdout, stderr of a command run in the container (no shell)."""
    code, output = container.exec_run(command, demux=True)
    stdout = (output[0] or b"").decode("utf-8", "replace") if output else ""
    stderr = (output[1] or b"").decode("utf-8", "replace") if output else ""
    return code, stdout, stderr


def _not_found(code: int | None, text: str) -> bool:
    return code in (126, 127) or "executable file not found" in text or "no such file or directory" in text


def parse_leading_number(output: str) -> float | None:
    """The number an output starts with: `42`, `42 /etc/passwd` (wc), `1.5\n`; else None."""
    words = output.split()
    if not words or not _NUMBER.match(words[0]):
        return None
    return float(words[0])


def _redis_probe(client, handle: StackHandle, check: RedisInvariant) -> tuple[bool, float | None, str, tuple]:
    container = client.containers.get(handle.plan.containers_of(check.service)[0].name)
    for cli in _REDIS_CLIENTS:
        code, stdout, stderr = _exec(container, [cli, "--no-auth-warning", "--raw", *check.command])
        if not _not_found(code, stdout + stderr):
            break
    else:
        return False, None, f"no redis-cli in the container of {check.service}", ()
    text = stdout.strip()
    if code != 0 or text.startswith("ERR") or text.startswith("WRONGTYPE") or text.startswith("NOAUTH"):
        return False, None, (stderr.strip() or text or f"redis-cli exited with {code}")[:300], ()
    if not text:
        return False, None, f"{' '.join(check.command)} returned nil (no such key or field)", ()
    number = parse_leading_number(text)
    if number is None or len(text.split()) != 1:
        return False, None, f"{' '.join(check.command)} returned {text[:100]!r}, not a number", ()
    return True, number, f"{' '.join(check.command)} -> {text}", ()


def _command_probe(client, handle: StackHandle, check: CommandInvariant) -> tuple[bool, float | None, str, tuple]:
    container = client.containers.get(handle.plan.containers_of(check.service)[0].name)
    code, stdout, stderr = _exec(container, list(check.command))
    if _not_found(code, stdout + stderr) and code != 0 and not stdout:
        return False, None, (stderr.strip() or stdout.strip() or f"{check.command[0]}: not found")[:300], (("exit", code),)
    shown = (stdout.strip() or stderr.strip())[:200]
    if check.comparator is None:
        return True, None, shown, (("exit", code),)
    return True, parse_leading_number(stdout), shown, (("exit", code),)


def _http_probe(handle: StackHandle, check: HttpInvariant) -> tuple[bool, float | None, str, tuple]:
    container_plan = handle.plan.containers_of(check.service)[0]
    ports = handle.direct_ports.get(container_plan.name, {})
    port_name = check.port or (container_plan.ports[0].name if container_plan.ports else None)
    if port_name not in ports:
        return False, None, f"service {check.service} has no reachable port {port_name!r}", ()
    connection = http.client.HTTPConnection("127.0.0.1", ports[port_name], timeout=10)
    try:
        connection.request(check.method, check.path, headers={"Connection": "close"})
        response = connection.getresponse()
        body = response.read(MAX_ANSWER)
        values: tuple = ()
        detail = f"HTTP {response.status}"
        if check.expect:
            values, problem = _json_fields(body, check.expect)
            detail += f"; {problem}" if problem else ""
        return True, float(response.status), detail, values
    except (OSError, http.client.HTTPException) as error:
        return False, None, str(error), ()
    finally:
        connection.close()


def _json_fields(body: bytes, expect: str) -> tuple[tuple, str]:
    """The fields an expression reads, from a JSON answer: ((path, value), ...) and a problem."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return (), f"the answer is not JSON: {body[:100]!r}"
    try:
        wanted = expression_paths(parse_expression(expect))
    except ExprError as error:
        return (), str(error)
    found = []
    for path in wanted:
        value = read_path(document, path)
        if value is not MISSING:
            found.append((path, recorded_value(value)))
    return tuple(found), ""


def _stub_url(handle: StackHandle, service: str) -> tuple[str | None, object]:
    containers = handle.plan.containers_of(service)
    if not containers or containers[0].stub is None:
        return None, None
    return handle.stub_urls.get(containers[0].name), containers[0].stub


def _stub_probe(handle: StackHandle, check: StubInvariant, cache: dict) -> tuple[bool, float | None, str, tuple]:
    url, spec = _stub_url(handle, check.service)
    if url is None:
        return False, None, f"service {check.service} is not a running stub", ()
    if url not in cache:
        try:
            cache[url] = read_exchanges(url)
        except MockServerError as error:
            cache[url] = error
    if isinstance(cache[url], Exception):
        return False, None, f"the stub's journal could not be read: HTTP {cache[url].status}", ()
    value, detail, values = measure_stub(check, cache[url], spec)
    return True, value, detail, values


def stub_traffic(handle: StackHandle, windows: Mapping[str, Sequence[CallWindow]] | None = None) -> list[dict]:
    """Calls each stub answered, by route, status and the fault window (of a fault on that
    stub) they came in, for reports: [{service, route, status, count[, during]}]."""
    rows: list[dict] = []
    for container in handle.plan.containers:
        url = handle.stub_urls.get(container.name) if container.stub is not None else None
        if url is None:
            continue
        try:
            exchanges = read_exchanges(url)
        except MockServerError:
            continue
        rows += [{"service": container.service, "route": route, "status": status, "count": count,
                  **({"during": during} if during else {})}
                 for route, status, during, count in traffic(exchanges, container.stub,
                                                             (windows or {}).get(container.service, ()))]
    return rows


def run_probes(
    client: "docker.DockerClient", handle: StackHandle, scenario: Scenario, run_start: datetime, load_start: float
) -> tuple[ProbeResult, ...]:
    results = []
    journals: dict = {}  # stub admin URL -> its exchanges, read once for all its checks
    for index, check in enumerate(scenario.checks):
        values: tuple = ()
        if isinstance(check, StubInvariant):
            ok, value, detail, values = _stub_probe(handle, check, journals)
        elif isinstance(check, SqlInvariant):
            ok, value, detail = _sql_probe(client, handle, check, run_start)
        elif isinstance(check, HttpInvariant):
            ok, value, detail, values = _http_probe(handle, check)
        elif isinstance(check, RedisInvariant):
            ok, value, detail, values = _redis_probe(client, handle, check)
        elif isinstance(check, CommandInvariant):
            ok, value, detail, values = _command_probe(client, handle, check)
        else:
            continue
        results.append(
            ProbeResult(check_id=check_id(index), t=time.monotonic() - load_start, ok=ok, value=value, detail=detail,
                        values=values)
        )
    return tuple(results)
