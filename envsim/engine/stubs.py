"""Loading a stub's MockServer with what its profile says, once the container listens.

The expectations are compiled purely (envsim.plan.stubs); secret values are rendered into
them here and go nowhere but the stub's own admin API, on 127.0.0.1.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from envsim.config.profile_model import StubSpec
from envsim.engine.mockserver_client import MockServerClient, MockServerError
from envsim.errors import EnvironmentProblem
from envsim.plan.stubs import auth_expectations, compile_stub

READY_TIMEOUT = 90.0  # a JVM on a loaded 2-core machine
# The first expectations a MockServer takes load its JSON schema validator: well under a second
# on a quiet machine, past 10 s on a busy 2-core one (seen: the PUT got no answer within 10 s
# while other stacks started). Upserts by id are idempotent, so waiting longer is safe.
LOAD_TIMEOUT = 60.0


def wait_for_mockserver(
    client: MockServerClient, service: str, cancel: threading.Event | None = None, timeout: float = READY_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.status()
            return
        except MockServerError as error:
            if time.monotonic() > deadline:
                raise EnvironmentProblem(
                    f"stub {service}: MockServer did not answer within {timeout:g}s: {error}"
                ) from None
        if cancel is not None and cancel.is_set():
            raise KeyboardInterrupt
        time.sleep(0.3)


def load_stub(
    url: str,
    service: str,
    spec: StubSpec,
    secrets: Mapping[str, str],
    cancel: threading.Event | None = None,
    timeout: float = LOAD_TIMEOUT,
) -> int:
    """Replace whatever the stub's MockServer holds with the profile's expectations (faults
    applied before are gone with them); returns how many expectations it serves."""
    wait_for_mockserver(MockServerClient(url, timeout=10.0), service, cancel)
    client = MockServerClient(url, timeout=timeout)
    expectations = compile_stub(service, spec, secrets)
    try:
        client.reset()
        client.upsert(*expectations)
        operations = client.load_openapi(spec.openapi.read_text(encoding="utf-8")) if spec.openapi else ()
    except MockServerError as error:
        # MockServer's message may quote an expectation, and so a credential: say only where it failed
        if error.status is None:
            # no body, so nothing of the expectations: the error says the call and why (timed out, refused)
            raise EnvironmentProblem(
                f"stub {service}: MockServer gave no answer (timeout {timeout:g}s): {error}"
            ) from None
        raise EnvironmentProblem(
            f"stub {service}: MockServer refused its expectations ({error.method} {error.path} answered {error.status})"
        ) from None
    except OSError as error:
        raise EnvironmentProblem(f"stub {service}: cannot read its OpenAPI document: {error}") from None
    return len(expectations) + len(operations)


def reload_auth(
    url: str,
    service: str,
    spec: StubSpec,
    secrets: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
    expired: Mapping[str, str] | None = None,
) -> None:
    """Replace a running stub's 401/403 expectations (same ids) after a credential rotated:
    the current value is accepted, the previous one too while `previous` is given, and the
    one rendered from `expired` gets 401 invalid_token."""
    expectations = auth_expectations(service, spec, secrets, previous, expired)
    if not expectations:
        return
    try:
        MockServerClient(url, timeout=10.0).upsert(*expectations)
    except MockServerError as error:
        raise EnvironmentProblem(
            f"stub {service}: MockServer refused its new credential "
            f"({error.method} {error.path} answered {error.status})"
        ) from None
