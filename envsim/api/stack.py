"""Stacks as objects: bring one up, find a running one, use its endpoints and faults, remove it."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from envsim.api.loading import ProfileLike, load_profile
from envsim.config.discover import repo_profile_names
from envsim.config.profile_model import Profile
from envsim.engine.apply import ApplyProgress, StackHandle, apply_stack, check_startable
from envsim.engine.attach import attach_stack, is_running
from envsim.engine.docker_engine import connect, stack_profile, stack_profiles, stacks_in_engine
from envsim.engine.fault_switch import StackFaults
from envsim.engine.stack_hold import Holder, live_holders, stack_hold
from envsim.engine.stack_lock import stack_lock
from envsim.engine.state import PHASE_UP, state_root
from envsim.engine.status import StackStatus, stack_status
from envsim.engine.teardown import RemovedCounts, reap_abandoned, remove_stack, remove_stack_images
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
        client: docker.DockerClient,
        handle: StackHandle,
        profile: Profile,
        *,
        keep: bool = True,
        env: Mapping[str, str] | None = None,
    ):
        self._client = client
        self.handle = handle
        self.profile = profile
        self.keep = keep
        self._env = dict(os.environ if env is None else env)
        self.faults: dict[str, FaultPlan] = {f.name: f for f in plan_faults(handle.plan, profile)}
        self._switch = StackFaults(
            client, self.faults, handle.toxiproxy_urls, stub_urls=handle.stub_urls, front_apis=handle.front_apis
        )

    @property
    def name(self) -> str:
        return self.handle.plan.stack

    @property
    def plan(self) -> StackPlan:
        return self.handle.plan

    @property
    def engine(self) -> docker.DockerClient:
        return self._client

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
        """The published URL (through Toxiproxy, on 127.0.0.1) of a service's port."""
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
        return stack_status(self._client, self.name)

    def down(self, *, images: bool = False) -> RemovedCounts:
        """Remove every container, network and volume of the stack (and, with `images`, its builds)."""
        return down(self.name, images=images, env=self._env, client=self._client)[0]


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
) -> Stack:
    """Plan, prepare images and start `profile`'s stack, health-gated; returns the Stack.

    Used as `with up(...) as stack:` the stack is removed on leaving the block unless `keep`.
    On failure (or when `cancel` is set) what was started is removed unless `keep_on_failure`.
    """
    env = dict(os.environ if env is None else env)
    loaded = load_profile(profile, env=env)
    plan = plan_stack(loaded, name)
    check_startable(plan)
    progress = progress or ApplyProgress()
    client = connect()
    with stack_lock(state_root(env), plan.stack, "up"), stack_hold(client, plan.stack, "up"):
        reap_abandoned(client, env, lambda message: progress.step("reaper", message))
        image_ids = ensure_stack_images(
            client,
            loaded,
            plan,
            pull=pull,
            progress=progress,
            toxiproxy_image=env.get("ENVSIM_TOXIPROXY_IMAGE"),
            mockserver_image=env.get(MOCKSERVER_IMAGE_ENV),
        )
        handle = apply_stack(
            client, plan, image_ids, env, progress=progress, cancel=cancel, keep=keep_on_failure, final_phase=phase
        )
    return Stack(client, handle, loaded, keep=keep, env=env)


def attach(
    name: str | None = None, *, profile: ProfileLike | None = None, env: Mapping[str, str] | None = None
) -> Stack:
    """The running stack `name` (its profile found from the engine's labels unless given).

    With neither a name nor a profile, the only running stack; InputError when there are several.
    """
    env = dict(os.environ if env is None else env)
    client = connect()
    if profile is None:
        running = [name] if name else stacks_in_engine(client)
        if len(running) != 1:
            raise InputError(
                "name the profile with --profile: "
                + (f"{len(running)} stacks are running ({', '.join(running)})" if running else "no stack is running")
            )
        profile = stack_profile(client, running[0]) or running[0]
    loaded = load_profile(profile, env=env)
    handle = attach_stack(client, plan_stack(loaded, name), env)
    return Stack(client, handle, loaded, keep=True, env=env)


def running(plan: StackPlan, client: docker.DockerClient | None = None) -> bool:
    """Whether every container of the planned stack exists and runs."""
    return is_running(client or connect(), plan)


def stacks(repo: str | Path | None = None) -> list[str]:
    """The names of every envsim stack on this engine.

    With `repo` (a directory in a repo), only the stacks started from one of that repo's
    profiles: their containers' `envsim.profile` label names a profile of
    `config.discover.repo_profile_names(repo)`.
    """
    client = connect()
    if repo is None:
        return stacks_in_engine(client)
    names = repo_profile_names(repo)
    return sorted(stack for stack, profile in stack_profiles(client).items() if profile in names)


def status(name: str) -> StackStatus:
    return stack_status(connect(), name)


def holders(name: str, client: docker.DockerClient | None = None) -> list[Holder]:
    """The live envsim processes (other than this one) using stack `name`, whatever their state directory."""
    return live_holders(client or connect(), name)


def down(
    name: str,
    *,
    images: bool = False,
    env: Mapping[str, str] | None = None,
    reap: bool = True,
    client: docker.DockerClient | None = None,
    on_reap=None,
    force: bool = False,
) -> tuple[RemovedCounts, int]:
    """Remove stack `name` (idempotent); returns what was removed and how many images.

    EnvironmentProblem when a live envsim process uses it (see `holders`), unless `force`.
    """
    env = dict(os.environ if env is None else env)
    client = client or connect()
    if reap:
        reap_abandoned(client, env, on_reap or (lambda message: None))
    with stack_lock(state_root(env), name, "down"):
        busy = [] if force else live_holders(client, name)
        if busy:
            raise EnvironmentProblem(
                f"stack {name} is in use by {', '.join(h.describe() for h in busy)}; nothing was removed",
                hint="wait for that command to finish (or stop it); `envsim down --force` removes the stack anyway",
            )
        counts = remove_stack(client, name, env)
        removed_images = remove_stack_images(client, name) if images else 0
    return counts, removed_images
