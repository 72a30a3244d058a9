"""Measuring a scenario's invariants on the live stack after the load: SQL queries, HTTP probes.

The probe only measures; comparing against the expected value is the verdict's job, so a
saved journal can be re-judged. Probes bypass Toxiproxy (direct ports, psql inside the
container), so a fault still active cannot distort them.
"""

from __future__ import annotations

import http.client
import time
from datetime import datetime
from typing import TYPE_CHECKING

from envsim.config.model import HttpInvariant, Scenario, SqlInvariant
from envsim.engine.apply import StackHandle
from envsim.engine.seeding import query_number
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


def _http_probe(handle: StackHandle, check: HttpInvariant) -> tuple[bool, float | None, str]:
    container_plan = handle.plan.containers_of(check.service)[0]
    ports = handle.direct_ports.get(container_plan.name, {})
    port_name = check.port or (container_plan.ports[0].name if container_plan.ports else None)
    if port_name not in ports:
        return False, None, f"service {check.service} has no reachable port {port_name!r}"
    connection = http.client.HTTPConnection("127.0.0.1", ports[port_name], timeout=10)
    try:
        connection.request(check.method, check.path, headers={"Connection": "close"})
        response = connection.getresponse()
        response.read()
        return True, float(response.status), f"HTTP {response.status}"
    except (OSError, http.client.HTTPException) as error:
        return False, None, str(error)
    finally:
        connection.close()


def run_probes(
    client: "docker.DockerClient", handle: StackHandle, scenario: Scenario, run_start: datetime, load_start: float
) -> tuple[ProbeResult, ...]:
    results = []
    for index, check in enumerate(scenario.checks):
        if isinstance(check, SqlInvariant):
            ok, value, detail = _sql_probe(client, handle, check, run_start)
        elif isinstance(check, HttpInvariant):
            ok, value, detail = _http_probe(handle, check)
        else:
            continue
        results.append(
            ProbeResult(check_id=check_id(index), t=time.monotonic() - load_start, ok=ok, value=value, detail=detail)
        )
    return tuple(results)
