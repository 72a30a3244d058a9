"""A Docker SDK client for the local engine, or a clear EnvironmentProblem when none answers."""

from __future__ import annotations


def docker_client(timeout: float = 60.0):
    """Connect to the engine named by DOCKER_HOST (default: the local socket) and ping it."""
    import docker
    import docker.errors
    import requests.exceptions

    from envsim.errors import EnvironmentProblem

    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
        raise EnvironmentProblem(
            f"no Docker engine answers: {' '.join(str(error).split())[:300]}",
            hint="start the engine (`dockerd`, or scripts/test-setup.sh in this repo) or set DOCKER_HOST",
        ) from None
    return client
