"""The example shop with its payments provider as a stub (profiles/payments.yaml), through the CLI:
`up` starts the stub, the shop pays through it, an HTTP fault shows at the stub and is
absorbed by the shop's retries, `down` leaves nothing, and the token shows nowhere."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from e2e_support import NOTHING_LEFT, leftovers

from envsim.engine.docker_engine import host_port
from envsim.engine.mockserver_client import MockServerClient
from envsim.plan.mockserver_expectations import RequestMatcher

# one MockServer JVM starting at a time: its start and first expectations take seconds of CPU
pytestmark = pytest.mark.xdist_group("mockserver")


def pay(url: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/orders/pay",
        data=json.dumps({"sku": "A1", "qty": 1}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_shop_pays_through_a_stub_that_takes_http_faults(cli, engine, state_dir, stack_name, remove_stacks):
    remove_stacks.append(stack_name)
    planned = cli.run("plan", "payments", "--name", stack_name)
    assert planned.returncode == 0, planned.stderr
    assert "auth Authorization: Bearer <secret:payments_token>" in planned.stdout

    up = cli.run("up", "payments", "--name", stack_name, timeout=600)
    assert up.returncode == 0, up.stderr
    url = re.search(r"api-http: (http://127\.0\.0\.1:\d+)", up.stdout).group(1)
    token = json.loads((state_dir / "stacks" / stack_name / "secrets.json").read_text())["payments_token"]
    stub_container = engine.containers.get(f"envsim-{stack_name}-payments-0")
    stub = MockServerClient(f"http://127.0.0.1:{host_port(stub_container, 1080)}")

    results = [pay(url) for _ in range(10)]
    assert [status for status, _ in results] == [201] * 10, results
    assert all(body["paid"] and body["charge"] == "ch_envsim" for _, body in results)
    sent = stub.recorded_requests(RequestMatcher("POST", "/v1/charges"))
    assert len(sent) == 10
    assert {r.header("Authorization") for r in sent} == {f"Bearer {token}"}
    assert {r.header("Api-Version") for r in sent} == {"2024-06"}

    applied = cli.run("fault", "apply", "payments-flaky", "--name", stack_name, "-p", "payments")
    assert applied.returncode == 0, applied.stderr
    listed = cli.run("fault", "list", "--name", stack_name, "-p", "payments").stdout
    assert re.search(r"ACTIVE payments-flaky", listed), listed
    stub.clear(what="LOG")
    during = [pay(url)[0] for _ in range(80)]
    answered = [e.status for e in stub.recorded_exchanges(RequestMatcher("POST", "/v1/charges"))]
    cleared = cli.run("fault", "clear", "payments-flaky", "--name", stack_name, "-p", "payments")
    assert cleared.returncode == 0, cleared.stderr
    assert not re.search(
        r"ACTIVE payments-flaky", cli.run("fault", "list", "--name", stack_name, "-p", "payments").stdout
    )
    # the provider flaked (503s at the stub), and the shop's retries with backoff absorbed it
    print(
        f"\nstub answers during payments-flaky: {len(answered)} calls, {answered.count(503)} x 503; "
        f"shop answers: {during.count(201)} x 201 of {len(during)}"
    )
    assert answered.count(503) >= 1 and set(answered) <= {201, 503}
    assert during.count(201) >= 78, during
    assert pay(url)[0] == 201

    # the token went only to the stub: no output and no container log has it
    outputs = planned.stdout + planned.stderr + up.stdout + up.stderr + listed
    assert token not in outputs
    for container in engine.containers.list(all=True, filters={"label": f"envsim.stack={stack_name}"}):
        assert token.encode() not in container.logs(), container.name

    down = cli.run("down", "--name", stack_name, "--images")
    assert down.returncode == 0, down.stderr
    assert leftovers(engine, stack_name) == NOTHING_LEFT
