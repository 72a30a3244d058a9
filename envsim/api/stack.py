"""Stacks as objects: bring one up, find a running one, use its endpoints and faults, remove it."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envsim.api.backends import image_engine, open_backend
from envsim.api.loading import ProfileLike, load_profile
from envsim.config.discover import repo_profile_names
from envsim.config.profile_model import Profile
from envsim.engine.apply import ApplyProgress, StackHandle, check_startable
from envsim.engine.backend import Backend
from envsim.engine.fault_switch import StackFaults
from envsim.engine.local_address import checked_publish_address
from envsim.engine.stack_hold import Holder
from envsim.engine.stack_lock import stack_lock
from envsim.engine.state import PHASE_UP, state_root
from envsim.engine.status import StackStatus
from envsim.engine.teardown import RemovedCounts, remove_stack_images
from envsim.errors import EnvironmentProblem, InputError
from envsim.images import MOCKSERVER_IMAGE_ENV, ensure_stack_images
from envsim.interrupts import uninterrupted
from envsim.plan.faults import FaultPlan, plan_faults
from envsim.plan.stack import StackPlan, plan_stack

if TYPE_CHECKING:
    import docker


class Stack:
    """A running stack. As a context manager it is removed on exit unless `keep` is set.

    Secret values are only returned by `secret()`, asked for by name; everything else a
    Stack returns (env_for, status, fault descriptions) shows secrets as `<secret:NAME>`.
    """

    def __init__(
        self,
        backend: Backend,
        handle: StackHandle,
        profile: Profile,
        *,
        keep: bool = True,
        env: Mapping[str, str] | None = None,
    ):
        self.backend = backend
        self.handle = handle
        self.profile = profile
        self.keep = keep
        self._env = dict(os.environ if env is None else env)
        self.faults: dict[str, FaultPlan] = {f.name: f for f in plan_faults(handle.plan, profile)}
        self._switch = StackFaults(
            getattr(backend, "client", None),
            self.faults,
            handle.toxiproxy_urls,
            stub_urls=handle.stub_urls,
            front_apis=handle.front_apis,
            containers=backend.run_engine(handle),  # container faults as the engine does them (pods on a cluster)
        )

    @property
    def name(self) -> str:
        return self.handle.plan.stack

    @property
    def plan(self) -> StackPlan:
        return self.handle.plan

    @property
    def engine(self) -> docker.DockerClient:
        """The Docker engine the stack runs on (a Kubernetes stack has none)."""
        client = getattr(self.backend, "client", None)
        if client is None:
            raise EnvironmentProblem(f"stack {self.name} runs on {self.backend.name}, not on a Docker engine")
        return client

    def __repr__(self) -> str:
        return f"Stack({self.name!r}, profile={self.profile.name!r})"

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.keep:
            with uninterrupted() as late:
                self.down()
            if late and exc_info[0] is None:
                raise KeyboardInterrupt  # after the stack is gone

    # ------------------------------------------------------------------ addresses

    def endpoint(self, service: str, port: str | None = None) -> str:
        """The published URL (through Toxiproxy; on 127.0.0.1 unless published elsewhere) of a service's port."""
        proxies = [p for p in self.plan.entry_points if p.service == service and (port is None or p.port_name == port)]
        if not proxies:
            published = sorted({f"{p.service}.{p.port_name}" for p in self.plan.entry_points})
            raise InputError(
                f"service {service!r} publishes no port{'' if port is None else ' ' + repr(port)}; "
                f"published: {', '.join(published) or 'none'} (add the port under the service's `publish:`)"
            )
        return self.handle.entry_url(proxies[0].name)

    def env_for(self, service: str) -> dict[str, str]:
        """The environment the service's containers get, secrets shown as `<secret:NAME>`."""
        containers = self.plan.containers_of(service)
        if not containers:
            raise InputError(f"no service {service!r} in stack {self.name} (services: {', '.join(self._services())})")
        return {name: value.redacted() for name, value in containers[0].env}

    def secret(self, name: str) -> str:
        """The value of credential `name`, for the test that needs it. Never print it."""
        if name not in self.handle.secrets:
            raise InputError(
                f"no credential {name!r} in profile {self.profile.name} "
                f"(credentials: {', '.join(sorted(self.handle.secrets)) or 'none'})"
            )
        return self.handle.secrets[name]

    def _services(self) -> list[str]:
        return sorted({c.service for c in self.plan.containers})

    # ------------------------------------------------------------------ faults

    def apply_fault(self, name: str) -> FaultPlan:
        self._known_fault(name)
        with self._locked("fault apply"):
            self._switch.apply(name)
        return self.faults[name]

    def clear_fault(self, name: str | None = None) -> None:
        """Clear fault `name`, or every fault when no name is given."""
        if name is not None:
            self._known_fault(name)
        with self._locked("fault clear"):
            if name is None:
                self._switch.clear_all()
            else:
                self._switch.clear(name)

    def active_faults(self) -> list[str]:
        return self._switch.active()

    @contextlib.contextmanager
    def fault(self, name: str) -> Iterator[FaultPlan]:
        """Apply failure mode `name` for the `with` block; it is reverted on every exit."""
        self.apply_fault(name)
        try:
            yield self.faults[name]
        finally:
            self.clear_fault(name)

    def _locked(self, command: str):
        return stack_lock(state_root(self._env), self.name, command)

    def _known_fault(self, name: str) -> None:
        if name not in self.faults:
            raise InputError(
                f"no failure mode {name!r} in profile {self.profile.name} "
                f"(failure modes: {', '.join(sorted(self.faults)) or 'none'})"
            )

    # ------------------------------------------------------------------ state

    def status(self) -> StackStatus:
        return self.backend.status(self.name)

    def down(self, *, images: bool = False) -> RemovedCounts:
        """Remove every container, network and volume of the stack (and, with `images`, its builds)."""
        return down(self.name, images=images, env=self._env, backend=self.backend)[0]


def up(
    profile: ProfileLike,
    name: str | None = None,
    *,
    keep: bool = False,
    pull: bool = True,
    progress: ApplyProgress | None = None,
    cancel: threading.Event | None = None,
    keep_on_failure: bool = False,
    env: Mapping[str, str] | None = None,
    phase: str = PHASE_UP,
    backend: Backend | None = None,
    publish_address: str | None = None,
) -> Stack:
    """Plan, prepare images and start `profile`'s stack, health-gated; returns the Stack.

    Used as `with up(...) as stack:` the stack is removed on leaving the block unless `keep`.
    On failure (or when `cancel` is set) what was started is removed unless `keep_on_failure`.
    `backend` is where it runs (default: `open_backend()`, the Docker engine unless ENVSIM_ON says otherwise).
    `publish_address`: an address of this machine to publish the entry points on instead of
    127.0.0.1 (for load workers elsewhere); InputError when it is not this machine's.
    """
    env = dict(os.environ if env is None else env)
    loaded = load_profile(profile, env=env)
    plan = plan_stack(loaded, name)
    check_startable(plan)
    address = checked_publish_address(publish_address) if publish_address is not None else None
    progress = progress or ApplyProgress()
    backend = backend or open_backend(env=env)
    if address is not None:
        plan = replace(plan, publish_address=address)
    with stack_lock(state_root(env), plan.stack, "up"), backend.hold(plan.stack, "up"):
        backend.reap(env, lambda message: progress.step("reaper", message))
        image_ids = ensure_stack_images(
            image_engine(backend),
            loaded,
            plan,
            pull=pull,
            progress=progress,
            toxiproxy_image=env.get("ENVSIM_TOXIPROXY_IMAGE"),
            mockserver_image=env.get(MOCKSERVER_IMAGE_ENV),
        )
        backend.prepare_images(plan, image_ids, progress)
        handle = backend.apply(
            plan, image_ids, env, progress=progress, cancel=cancel, keep=keep_on_failure, final_phase=phase
        )
    return Stack(backend, handle, loaded, keep=keep, env=env)


def attach(
    name: str | None = None,
    *,
    profile: ProfileLike | None = None,
    env: Mapping[str, str] | None = None,
    backend: Backend | None = None,
) -> Stack:
    """The running stack `name` (its profile found from the engine's labels unless given).

    With neither a name nor a profile, the only running stack; InputError when there are several.
    """
    env = dict(os.environ if env is None else env)
    backend = backend or open_backend(env=env)
    if profile is None:
        running = [name] if name else backend.stacks()
        if len(running) != 1:
            raise InputError(
                "name the profile with --profile: "
                + (f"{len(running)} stacks are running ({', '.join(running)})" if running else "no stack is running")
            )
        profile = backend.stack_profiles().get(running[0]) or running[0]
    loaded = load_profile(profile, env=env)
    handle = backend.attach(plan_stack(loaded, name), env)
    return Stack(backend, handle, loaded, keep=True, env=env)


def running(plan: StackPlan, backend: Backend | None = None) -> bool:
    """Whether every container of the planned stack exists and runs."""
    return (backend or open_backend()).is_running(plan)


def stacks(repo: str | Path | None = None, backend: Backend | None = None) -> list[str]:
    """The names of every envsim stack on this engine.

    With `repo` (a directory in a repo), only the stacks started from one of that repo's
    profiles: their containers' `envsim.profile` label names a profile of
    `config.discover.repo_profile_names(repo)`.
    """
    backend = backend or open_backend()
    if repo is None:
        return backend.stacks()
    names = repo_profile_names(repo)
    return sorted(stack for stack, profile in backend.stack_profiles().items() if profile in names)


def status(name: str, backend: Backend | None = None) -> StackStatus:
    return (backend or open_backend()).status(name)


def holders(name: str, backend: Backend | None = None) -> list[Holder]:
    """The live envsim processes (other than this one) using stack `name`, whatever their state directory."""
    return (backend or open_backend()).holders(name)


def down(
    name: str,
    *,
    images: bool = False,
    env: Mapping[str, str] | None = None,
    reap: bool = True,
    backend: Backend | None = None,
    on_reap=None,
    force: bool = False,
) -> tuple[RemovedCounts, int]:
    """Remove stack `name` (idempotent); returns what was removed and how many images.

    EnvironmentProblem when a live envsim process uses it (see `holders`), unless `force`.
    """
    env = dict(os.environ if env is None else env)
    backend = backend or open_backend(env=env)
    if reap:
        backend.reap(env, on_reap or (lambda message: None))
    with stack_lock(state_root(env), name, "down"):
        busy = [] if force else backend.holders(name)
        if busy:
            raise EnvironmentProblem(
                f"stack {name} is in use by {', '.join(h.describe() for h in busy)}; nothing was removed",
                hint="wait for that command to finish (or stop it); `envsim down --force` removes the stack anyway",
            )
        counts = backend.remove(name, env)
        removed_images = remove_stack_images(image_engine(backend), name) if images else 0
    return counts, removed_images
