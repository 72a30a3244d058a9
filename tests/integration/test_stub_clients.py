"""Clients of a real stub (MockServer 7.6 behind Toxiproxy) during a 10% 503 HTTP fault, measured
through the stub's proxied address as an app reaches it, then judged from the stub's request
journal the way a run judges it: the scenario's stub checks are probed (engine/probes, reading
the journal with engine/stub_calls) and the verdict judges a journal built from those probes.

- no retries: 10% +- 3% errors over 1,000 calls;
- retry with backoff honouring Retry-After, with an Idempotency-Key: under 1% errors, and the
  backoff and header checks pass;
- retry at once: the backoff check fails;
- a deprecated API version gets 410 and the `status: [410]` `equals: 0` check fails; the
  current version passes it.
"""

from __future__ import annotations

import http.client
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

# one MockServer JVM starting at a time: its start and first expectations take seconds of CPU
pytestmark = pytest.mark.xdist_group("mockserver")

PROFILE = """
envsim: 1
name: stubclients
services:
  payments:
    stub:
      routes:
        - {method: POST, path: /v1/charges, status: 201, body: {id: ch_1, status: succeeded}}
      version: {header: Api-Version, current: "2024-06", deprecated: ["2023-01"]}
    publish: [http]
failure_modes:
  payments-flaky: {target: payments, http_errors: {503: 10%}, retry_after: 1s}
"""

SCENARIO = """
envsim: 1
name: clients
profile: stubclients
load:
  target: payments
  users: 1
  duration: 5s
  tasks: [{name: charge, request: "POST /v1/charges"}]
checks:
  - {stub: {service: payments, request: "POST /v1/charges"}, header: Idempotency-Key}
  - {stub: {service: payments, request: "POST /v1/charges"}, backoff: {after: [429, 503], at_least: 200ms, key: header.Idempotency-Key}}
  - {stub: {service: payments, status: [410]}, equals: 0}
"""
HEADER, BACKOFF, GONE = 0, 1, 2  # the checks' places in SCENARIO

CALLS = 1000
THREADS = 8  # the backoff client's concurrent callers: ~100 retries of 1 s each, in parallel


class Caller:
    """Keep-alive HTTP calls to one address, reopened when the server closes the connection."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection: http.client.HTTPConnection | None = None

    def call(self, headers: dict[str, str]) -> tuple[int | None, dict[str, str]]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=15)
        try:
            self.connection.request(
                "POST", "/v1/charges", body='{"amount": 5}', headers={"Content-Type": "application/json", **headers}
            )
            response = self.connection.getresponse()
            response.read()
        except (http.client.HTTPException, ConnectionError):
            self.close()
            return None, {}
        if response.will_close:
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def no_retries(caller: Caller, calls: int) -> list[int | None]:
    return [caller.call({})[0] for _ in range(calls)]


def with_retries(caller: Caller, *, backoff: bool, attempts: int = 4) -> int | None:
    """One charge: retried on 429/5xx with the same Idempotency-Key; with `backoff`, waiting
    Retry-After (else 200 ms doubling), otherwise at once."""
    key = uuid.uuid4().hex
    status = None
    for attempt in range(attempts):
        status, headers = caller.call({"Idempotency-Key": key})
        if status is not None and status < 500 and status != 429:
            return status
        if backoff and attempt + 1 < attempts:
            try:
                told = float(headers.get("retry-after", ""))
            except ValueError:
                told = 0.0
            time.sleep(max(told, 0.2 * 2**attempt))
    return status


def many(url: str, calls: int, threads: int, backoff: bool) -> list[int | None]:
    def worker(n: int) -> list[int | None]:
        caller = Caller(url)
        try:
            return [with_retries(caller, backoff=backoff) for _ in range(n)]
        finally:
            caller.close()

    shares = [calls // threads + (1 if i < calls % threads else 0) for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return [s for part in pool.map(worker, shares) for s in part]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("stub-clients-repo")
    (repo / ".git").mkdir()
    (repo / "profiles").mkdir()
    (repo / "profiles/stubclients.yaml").write_text(PROFILE)
    (repo / "scenarios").mkdir()
    (repo / "scenarios/clients.yaml").write_text(SCENARIO)
    return repo


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return {"ENVSIM_STATE_DIR": str(tmp_path_factory.mktemp("state")), "PATH": "/usr/bin:/bin"}


@pytest.fixture(scope="module")
def stack(repo, env, docker_client):
    from envsim.api import up

    running = up(repo / "profiles/stubclients.yaml", f"it-stubclients-{uuid.uuid4().hex[:8]}", env=env)
    try:
        yield running
    finally:
        running.down()


@pytest.fixture(scope="module")
def scenario(repo, env):
    from envsim.api import load_scenario

    return load_scenario(repo / "scenarios/clients.yaml", env=env)


@pytest.fixture
def admin(stack):
    from envsim.engine.mockserver_client import MockServerClient

    (url,) = stack.handle.stub_urls.values()
    client = MockServerClient(url, timeout=10.0)
    client.clear(what="LOG")  # each test judges its own calls, as a run clears the journal first
    return client


def judged(stack, scenario):
    """The scenario's checks probed from the stub's journal now, judged as a run's journal."""
    from envsim.engine.probes import run_probes
    from envsim.journal import Journal
    from envsim.verdict import judge

    started = datetime.now(UTC)
    probes = run_probes(stack.backend.run_engine(stack.handle), stack.handle, scenario, started, time.monotonic())
    journal = Journal(
        run_id="clients-1",
        started_at=started.isoformat(),
        ended_at=started.isoformat(),
        duration=5.0,
        profile="stubclients",
        scenario="clients",
        profile_digest="p",
        scenario_digest="s",
        environment={},
        planned_timeline=(),
        checks=scenario.checks,
        probes=probes,
    )
    verdict = judge(Journal.from_json(journal.to_json()))  # as a saved run is judged again
    return {result.check_id: result for result in verdict.results}


def result(results, index: int):
    from envsim.journal.checks import check_id

    return results[check_id(index)]


def test_retry_with_backoff_absorbs_ten_percent_503_and_passes_the_backoff_and_header_checks(stack, scenario, admin):
    url = stack.endpoint("payments")
    with stack.fault("payments-flaky"):
        caller = Caller(url)
        try:
            plain = no_retries(caller, CALLS)
        finally:
            caller.close()
        admin.clear(what="LOG")  # the backoff client's calls only
        started = time.monotonic()
        patient = many(url, CALLS, THREADS, backoff=True)
        took = time.monotonic() - started
        results = judged(stack, scenario)
    plain_share = sum(1 for s in plain if s != 201) / CALLS
    patient_share = sum(1 for s in patient if s != 201) / CALLS
    print(
        f"\nno retries: {plain_share:.3f} errors over {CALLS} calls; "
        f"retry with backoff: {patient_share:.4f} over {CALLS} charges in {took:.1f}s; "
        f"backoff check: {result(results, BACKOFF).reason}; header check: {result(results, HEADER).reason}"
    )
    assert set(plain) == {201, 503}, {s: plain.count(s) for s in set(plain)}
    assert 0.07 <= plain_share <= 0.13
    assert patient_share < 0.01, {s: patient.count(s) for s in set(patient)}
    backoff, header = result(results, BACKOFF), result(results, HEADER)
    assert backoff.passed and backoff.measured == 0, backoff
    assert "of 0 retries" not in backoff.reason  # retries did happen and were checked
    assert header.passed and header.measured == 0, header
    assert result(results, GONE).passed


def test_retry_at_once_fails_the_backoff_check(stack, scenario, admin):
    url = stack.endpoint("payments")
    with stack.fault("payments-flaky"):
        hasty = many(url, 300, 2, backoff=False)
        results = judged(stack, scenario)
    backoff = result(results, BACKOFF)
    print(
        f"\nretry at once: {sum(1 for s in hasty if s != 201)} of 300 charges failed; backoff check: {backoff.reason}"
    )
    assert not backoff.passed and backoff.measured and backoff.measured > 0, backoff
    assert "too soon" in backoff.reason
    assert result(results, HEADER).passed  # it did send its key every time


def test_a_deprecated_version_gets_410_and_fails_the_check_the_current_one_passes(stack, scenario, admin):
    caller = Caller(stack.endpoint("payments"))
    try:
        current = [caller.call({"Api-Version": "2024-06", "Idempotency-Key": uuid.uuid4().hex})[0] for _ in range(5)]
        results = judged(stack, scenario)
        assert current == [201] * 5
        assert result(results, GONE).passed and result(results, GONE).measured == 0
        retired = [caller.call({"Api-Version": "2023-01", "Idempotency-Key": uuid.uuid4().hex})[0] for _ in range(3)]
        results = judged(stack, scenario)
    finally:
        caller.close()
    gone = result(results, GONE)
    print(f"\ndeprecated version: {retired}; check: {gone.reason}")
    assert retired == [410] * 3
    assert not gone.passed and gone.measured == 3, gone
