"""Which engine a command works on: `--on docker|kubernetes`, else ENVSIM_ON, else Docker."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envsim.engine.backend import BACKENDS, DOCKER, KUBERNETES, Backend
from envsim.engine.docker_backend import DockerBackend
from envsim.engine.docker_engine import connect
from envsim.errors import InputError

if TYPE_CHECKING:
    import docker

ON_ENV = "ENVSIM_ON"


def backend_name(on: str | None, env: Mapping[str, str]) -> str:
    name = (on or env.get(ON_ENV) or DOCKER).strip().lower()
    if name not in BACKENDS:
        source = "--on" if on else ON_ENV
        raise InputError(f"{source}: unknown engine {name!r}; choose one of: {', '.join(BACKENDS)}")
    return name


def open_backend(
    on: str | None = None,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    registry: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Backend:
    """The engine to work on, connected (EnvironmentProblem, exit 3, when it does not answer)."""
    env = dict(os.environ if env is None else env)
    if backend_name(on, env) == KUBERNETES:
        from envsim.engine.kubernetes.backend import KubernetesBackend

        return KubernetesBackend.connect(kubeconfig=kubeconfig, context=context, registry=registry, env=env)
    return DockerBackend(connect())


def image_engine(backend: Backend) -> docker.DockerClient:
    """The local Docker engine envsim builds and keeps images on, whichever engine runs the stack."""
    return backend.client if isinstance(backend, DockerBackend) else connect()


@dataclass(frozen=True)
class EngineChoice:
    """Where a command's stack runs, as its options say: `on` (else ENVSIM_ON, else Docker), and
    for a cluster the kubeconfig, its context and a registry to push images to."""

    on: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    registry: str | None = None

    def name(self, env: Mapping[str, str]) -> str:
        return backend_name(self.on, env)

    def open(self, env: Mapping[str, str]) -> Backend:
        return open_backend(self.on, kubeconfig=self.kubeconfig, context=self.context, registry=self.registry, env=env)
