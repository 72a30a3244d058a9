"""Measuring a scenario's checks on the live stack after the load. Each check kind's prober
(envsim.config.check_kinds) says what to measure; `StackProbeTools` is the engine's part: a
command in a service's container, a SQL query, an HTTP request, a stub's request journal.

The probe only measures; comparing against the expected value is the verdict's job, so a
saved journal can be re-judged. Probes bypass Toxiproxy (direct ports, psql inside the
container), so a fault still active cannot distort them.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Mapping, Sequence
from datetime import datetime

from envsim.config.check_kinds import kind_of
from envsim.config.check_kinds.kind import ProbeError
from envsim.config.scenario_model import Scenario
from envsim.engine.apply import StackHandle
from envsim.engine.mockserver_client import RecordedExchange
from envsim.engine.run_engine import RunEngine
from envsim.engine.seeding import number_in
from envsim.engine.stub_calls import CallWindow, MockServerError, read_exchanges, traffic
from envsim.engine.stub_calls import measure as measure_stub
from envsim.journal import ProbeResult
from envsim.journal.checks import check_id


class StackProbeTools:
    """The engine's side of a probe (envsim.config.check_kinds.kind.ProbeTools) on one stack."""

    def __init__(self, engine: RunEngine, handle: StackHandle, run_start: datetime):
        self.run_start = run_start
        self._engine = engine
        self._handle = handle
        self._journals: dict[
            str, tuple[RecordedExchange, ...] | MockServerError
        ] = {}  # stub admin URL -> its exchanges, read once for all its checks

    def exec(self, service: str, command: list[str]) -> tuple[int | None, str, str]:
        return self._engine.exec(service, command)

    def sql_number(self, service: str, query: str) -> float:
        try:
            return number_in(self._engine.sql(service, query, tuples_only=True))
        except RuntimeError as error:
            raise ProbeError(str(error)) from None

    def http(self, service: str, port: str | None, method: str, path: str, limit: int) -> tuple[int, bytes]:
        container_plan = self._handle.plan.containers_of(service)[0]
        ports = self._handle.direct_ports.get(container_plan.name, {})
        port_name = port or (container_plan.ports[0].name if container_plan.ports else None)
        if port_name is None or port_name not in ports:
            raise ProbeError(f"service {service} has no reachable port {port_name!r}")
        connection = http.client.HTTPConnection("127.0.0.1", ports[port_name], timeout=10)
        try:
            connection.request(method, path, headers={"Connection": "close"})
            response = connection.getresponse()
            return response.status, response.read(limit)
        except (OSError, http.client.HTTPException) as error:
            raise ProbeError(str(error)) from None
        finally:
            connection.close()

    def stub_calls(self, check) -> tuple[float, str, tuple[tuple[str, object], ...]]:
        containers = self._handle.plan.containers_of(check.service)
        url = self._handle.stub_urls.get(containers[0].name) if containers and containers[0].stub is not None else None
        if url is None:
            raise ProbeError(f"service {check.service} is not a running stub")
        if url not in self._journals:
            try:
                self._journals[url] = read_exchanges(url)
            except MockServerError as error:
                self._journals[url] = error
        exchanges = self._journals[url]
        if isinstance(exchanges, MockServerError):
            raise ProbeError(f"the stub's journal could not be read: HTTP {exchanges.status}")
        return measure_stub(check, exchanges, containers[0].stub)


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
        rows += [
            {
                "service": container.service,
                "route": route,
                "status": status,
                "count": count,
                **({"during": during} if during else {}),
            }
            for route, status, during, count in traffic(
                exchanges, container.stub, (windows or {}).get(container.service, ())
            )
        ]
    return rows


def run_probes(
    engine: RunEngine, handle: StackHandle, scenario: Scenario, run_start: datetime, load_start: float
) -> tuple[ProbeResult, ...]:
    """Each check whose kind probes, measured now; the others are measured from the load."""
    tools = StackProbeTools(engine, handle, run_start)
    results = []
    for index, check in enumerate(scenario.checks):
        probe = kind_of(check).probe
        if probe is None:
            continue
        probed = probe(check, tools)
        results.append(
            ProbeResult(
                check_id=check_id(index),
                t=time.monotonic() - load_start,
                ok=probed.ok,
                value=probed.value,
                detail=probed.detail,
                values=probed.values,
            )
        )
    return tuple(results)
