"""SIGKILL of `envsim run` while an HTTP fault is applied to a stub: nobody is left to clear
the chaos, so it must expire by its time-to-live (window + max(5 s, 10%)), measured through
the stub's proxied address as the app reaches it; and the next `envsim down` leaves nothing."""

from __future__ import annotations

import http.client
import signal
import time
from urllib.parse import urlsplit

import pytest
from e2e_support import NOTHING_LEFT, leftovers, wait_for

from envsim.engine.docker_engine import host_port
from envsim.engine.fault_switch import http_fault_ttl
from envsim.engine.mockserver_client import MockServerClient, MockServerError

pytestmark = pytest.mark.alone  # the chaos must end within 0.5 s of its time-to-live, measured through the stub

PROFILE = """
envsim: 1
name: stubkill
services:
  flaky:
    stub:
      routes: [{method: GET, path: /ping, body: pong}]
    publish: [http]
failure_modes:
  flaky-503: {target: flaky, http_errors: {503: 30%}}
"""
WINDOW = 12.0  # long enough to kill envsim inside it; its time-to-live is waited out
SCENARIO = f"""
envsim: 1
profile: stubkill
load:
  target: flaky
  users: 2
  spawn_rate: 2
  duration: 40s
  wait: [50ms, 100ms]
  tasks: [{{name: ping, request: "GET /ping"}}]
timeline:
  - {{at: 2s, for: {WINDOW:g}s, fault: flaky-503}}
checks: [{{metric: error_rate, below: 50%}}]
reports: {{dir: ../out}}
"""
TWIN = "envsim.fault.flaky-503."


def statuses(url: str, calls: int) -> list[int | None]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    answers: list[int | None] = []
    try:
        for _ in range(calls):
            try:
                connection.request("GET", "/ping")
                response = connection.getresponse()
                response.read()
                answers.append(response.status)
                if response.will_close:
                    connection.close()
            except (http.client.HTTPException, OSError):
                answers.append(None)
                connection.close()
    finally:
        connection.close()
    return answers


def twins(admin: MockServerClient) -> int:
    try:
        return sum(1 for e in admin.active_expectations() if e.id.startswith(TWIN))
    except MockServerError:
        return 0


def test_sigkill_during_an_http_fault_leaves_no_chaos_past_its_ttl_and_down_leaves_nothing(
    cli, project, engine, state_dir, stack_name, remove_stacks
):
    from envsim.api import attach

    remove_stacks.append(stack_name)
    (project / "profiles/stubkill.yaml").write_text(PROFILE)
    (project / "scenarios/stubkill.yaml").write_text(SCENARIO)
    ttl = http_fault_ttl(WINDOW)
    assert ttl == WINDOW + 5.0

    run = cli.start("run", "scenarios/stubkill.yaml", "--name", stack_name)
    try:
        container = wait_for(
            lambda: next(
                iter(
                    engine.containers.list(
                        filters={"label": [f"envsim.stack={stack_name}", "envsim.role=service"]}, ignore_removed=True
                    )
                ),
                None,
            ),
            timeout=300,
            interval=0.5,
            what="the stub container",
        )
        admin = MockServerClient(f"http://127.0.0.1:{host_port(container, 1080)}", timeout=5.0)
        wait_for(
            lambda: twins(admin) > 0 or run.poll() is not None, timeout=300, interval=0.1, what="the HTTP fault applied"
        )
        applied = time.monotonic()  # at the latest: the chaos lives `ttl` from its application
        assert run.poll() is None, run.communicate()[1][-2000:]
        url = attach(
            stack_name, profile=project / "profiles/stubkill.yaml", env={"ENVSIM_STATE_DIR": str(state_dir)}
        ).endpoint("flaky")
        during = wait_for(
            lambda: (lambda s: s if 503 in s else None)(statuses(url, 50)),
            timeout=10,
            interval=0.1,
            what="503s through the stub",
        )
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
        killed = time.monotonic() - applied
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == -signal.SIGKILL
    assert killed < WINDOW - 2, "the kill came too late: envsim may have cleared the fault itself"

    # nobody clears it now: errors persist, then stop by the chaos's own time-to-live
    assert 503 in statuses(url, 100)
    last_error = time.monotonic()
    while time.monotonic() - applied < ttl + 10:
        if twins(admin) == 0 and 503 not in (answers := statuses(url, 50)):
            break
        last_error = time.monotonic()
        time.sleep(0.1)
    gone = last_error - applied
    after = statuses(url, 300)
    print(
        f"\nfault seen applied; 503s through the stub before the kill: {during.count(503)} of {len(during)}; "
        f"killed {killed:.1f}s after; chaos gone {gone:.1f}s after it was applied (ttl {ttl:g}s); "
        f"after: {after.count(200)} x 200 of {len(after)}"
    )
    assert twins(admin) == 0
    assert gone <= ttl + 0.5, gone
    assert gone >= WINDOW - 2, gone  # it lived about its window: no one cleared it early
    assert after == [200] * 300, {s: after.count(s) for s in set(after)}
    assert answers and 503 not in answers

    down = cli.run("down", "--name", stack_name)
    assert down.returncode == 0, down.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT
