"""Credentials like production: a credential with a `ttl` rotates while a run drives load.

At each expiry a new value is generated and kept in the stack's state (0600); every stub that
accepts the credential is given it (its 401/403 expectations replaced: the new value accepted,
the previous one too for the credential's `overlap`, then answered 401 invalid_token as an
expired token is); every `secret_files` copy
is rewritten in place in the running containers (on Docker through its archive API; on a
cluster the stack's Secret changes and each pod's Secret directory is refreshed, see
kubernetes/credential_files.py). Environment variables are not touched: a running process
cannot see a changed environment, so an app that took its token from the environment (or read
the file once) keeps the old one and gets 401 — which is the point. Nothing is restarted, and
a database's own password is not changed (a credential that is a database's password keeps
working in the database, which read it once at its first start).

Only names and times are recorded (CredentialRotation); values go to the stub's admin API on
127.0.0.1, the containers' files and the state file, nowhere else.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from envsim.config.profile_model import Credential, StubSpec
from envsim.engine.state import StackState, generate_secret
from envsim.engine.stubs import reload_auth
from envsim.errors import EnvironmentProblem
from envsim.plan.stack import StackPlan


class CredentialHolders(Protocol):
    """Where the engine keeps copies of credentials (RunEngine's part)."""

    def update_credential(self, credential: str, value: str) -> None: ...

    def rewrite_secret_files(
        self, container: str, files: tuple[tuple[str, str], ...], secrets: Mapping[str, str]
    ) -> None: ...


# The previous value stays valid at least this long after the new one is in every file, so a
# request that read the file just before it was rewritten is not refused: an app that re-reads
# its token keeps working through rotations, one that read it once is refused right after.
PROPAGATION_GRACE = 0.5


def _overlap(credential: Credential) -> float:
    return max(float(credential.overlap), PROPAGATION_GRACE)


@dataclass(frozen=True)
class Rotated:
    """One rotation, with wall-clock times (the run turns them into seconds from load start)."""

    credential: str
    at: float  # time.time() when the new value was in place everywhere
    stubs: tuple[str, ...]
    files: tuple[str, ...]
    retired_at: float | None = None
    problems: tuple[str, ...] = ()


@dataclass
class _Holders:
    stubs: list[tuple[str, str, StubSpec]] = field(default_factory=list)  # (service, admin url, its spec)
    files: list[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=list)  # (container, files)


def rotating_credentials(plan: StackPlan) -> tuple[Credential, ...]:
    return tuple(c for c in plan.credentials if c.rotates)


def holders(plan: StackPlan, stub_urls: dict[str, str], credential: str) -> _Holders:
    """Who holds a copy of `credential`: stubs checking it, containers with it in a file."""
    found = _Holders()
    for container in plan.containers:
        stub = container.stub
        if (
            stub is not None
            and stub.auth is not None
            and credential in stub.auth.value.secrets
            and container.name in stub_urls
        ):
            found.stubs.append((container.service, stub_urls[container.name], stub))
        files = tuple((name, path) for name, path in container.secret_files if name == credential)
        if files:
            found.files.append((container.name, files))
    return found


class CredentialRotator:
    """A thread rotating every credential with a ttl, from `start()` until `stop()`.

    `secrets` is the stack's live mapping of values: it is updated in place, so whatever reads
    it afterwards (probes, the api's Stack.secret) sees the current value.
    """

    def __init__(
        self,
        engine: CredentialHolders,
        plan: StackPlan,
        stub_urls: dict[str, str],
        secrets: MutableMapping[str, str],
        state: StackState | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._engine = engine
        self._plan = plan
        self._stub_urls = dict(stub_urls)
        self._secrets = secrets
        self._state = state
        self._clock = clock
        self._credentials = {c.name: c for c in rotating_credentials(plan)}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._done: list[Rotated] = []
        self._pending_retire: dict[str, tuple[int, dict[str, str]]] = {}  # credential -> (index in _done, previous)

    @property
    def active(self) -> bool:
        return bool(self._credentials)

    def start(self) -> None:
        if not self._credentials or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="envsim-rotation", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> tuple[Rotated, ...]:
        """Stop rotating; a value within its overlap is retired now. Returns what happened."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            for name in list(self._pending_retire):
                self._retire(name)
            return tuple(self._done)

    def _loop(self) -> None:
        t0 = self._clock()
        queue: list[tuple[float, int, str, str]] = []  # (due, tie-break, action, credential)
        for order, credential in enumerate(self._credentials.values()):
            heapq.heappush(queue, (t0 + float(credential.ttl or 0), order, "rotate", credential.name))
        order = len(queue)
        while queue and not self._stop.is_set():
            due, _, action, name = queue[0]
            if self._stop.wait(max(0.0, due - self._clock())):
                return
            heapq.heappop(queue)
            credential = self._credentials[name]
            with self._lock:
                if action == "rotate":
                    self.rotate(credential)
                    order += 1
                    heapq.heappush(queue, (due + float(credential.ttl or 0), order, "rotate", name))
                    order += 1
                    heapq.heappush(queue, (self._clock() + _overlap(credential), order, "retire", name))
                elif name in self._pending_retire:
                    self._retire(name)

    def rotate(self, credential: Credential) -> Rotated:
        """Rotate one credential now (the thread calls this; tests may too)."""
        if credential.name in self._pending_retire:  # a rotation within the overlap of the last one
            self._retire(credential.name)
        previous = dict(self._secrets)
        fresh = generate_secret(credential)
        problems: list[str] = []
        if self._state is not None:
            self._state.set_secret(credential.name, fresh)
        self._secrets[credential.name] = fresh
        try:
            self._engine.update_credential(credential.name, fresh)
        except EnvironmentProblem as error:
            problems.append(str(error))
        found = holders(self._plan, self._stub_urls, credential.name)
        stubs: list[str] = []
        for service, url, spec in found.stubs:  # first the stubs accept both values ...
            try:
                reload_auth(url, service, spec, self._secrets, previous=previous)
                stubs.append(service)
            except EnvironmentProblem as error:
                problems.append(str(error))
        files: list[str] = []
        for container, paths in found.files:
            try:
                self._engine.rewrite_secret_files(container, paths, self._secrets)
                files.extend(f"{container}:{path}" for _, path in paths)
            except EnvironmentProblem as error:
                problems.append(str(error))
        # ... and the previous value is retired after the overlap (the loop, or stop())
        done = Rotated(credential.name, time.time(), tuple(stubs), tuple(files), problems=tuple(problems))
        self._done.append(done)
        self._pending_retire[credential.name] = (len(self._done) - 1, previous)
        return done

    def _retire(self, name: str) -> None:
        """The overlap is over: stubs accept only the current value."""
        index, previous = self._pending_retire.pop(name)
        problems = list(self._done[index].problems)
        for service, url, spec in holders(self._plan, self._stub_urls, name).stubs:
            try:
                reload_auth(url, service, spec, self._secrets, expired=previous)
            except EnvironmentProblem as error:
                problems.append(str(error))
        self._done[index] = replace(self._done[index], retired_at=time.time(), problems=tuple(problems))
