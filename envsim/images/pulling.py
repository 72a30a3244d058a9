"""Pulling an image from its registry: tried once per image and command, with a short timeout.

A registry that fails for a network reason is not asked again in this command, and is
remembered across commands for a while (registry_memory), so a machine without a registry
hears it once instead of a failed-pull line per image per run.
"""

from __future__ import annotations

import time

from envsim.images import registry_memory
from envsim.images.progress import ImageProgress

_NETWORK_FAILURES = (
    "dial tcp",
    "no such host",
    "timeout",
    "connection refused",
    "tls handshake",
    "network is unreachable",
    "temporary failure in name resolution",
)


class Puller:
    def __init__(self, client, progress: ImageProgress, pull: bool, pull_timeout: float):
        self.client = client
        self.progress = progress
        self.pull = pull
        self.pull_timeout = pull_timeout
        self.unreachable: dict[str, str] = {}  # registry host -> why, so each is tried once
        self.failed_pulls: dict[str, str] = {}  # image -> why, so each is tried once

    def try_pull(self, name: str) -> tuple[str | None, str]:
        if not self.pull:
            return None, "pulling disabled"
        if name in self.failed_pulls:
            return None, self.failed_pulls[name]
        registry = _registry(name)
        if self._known_unreachable(registry):
            return None, self.unreachable[registry]
        import docker.errors
        import requests.exceptions

        reference = name if (":" in name.rsplit("/", 1)[-1] or "@" in name) else f"{name}:latest"
        self.progress.report(name, f"pulling from {registry}")
        previous_timeout = self.client.api.timeout
        self.client.api.timeout = self.pull_timeout
        try:
            image = self.client.images.pull(reference)
        except (docker.errors.APIError, requests.exceptions.RequestException) as error:
            why = _short(error)
            if isinstance(error, requests.exceptions.RequestException) or any(
                marker in why.lower() for marker in _NETWORK_FAILURES
            ):
                self.unreachable[registry] = f"{registry} unreachable: {why}"
                registry_memory.remember_unreachable(registry, why)
                self.progress.report(name, f"pull failed: {why}; {_not_again(registry)}")
            else:
                self.progress.report(name, f"pull failed: {why}")
            self.failed_pulls[name] = why
            return None, why
        finally:
            self.client.api.timeout = previous_timeout
        registry_memory.forget(registry)
        self.progress.report(name, f"pulled ({image.short_id})")
        return image.id, ""

    def _known_unreachable(self, registry: str) -> bool:
        """A registry that failed in this command, or recently in another (said once)."""
        if registry in self.unreachable:
            return True
        remembered = registry_memory.unreachable_since(registry)
        if remembered is None:
            return False
        at, why = remembered
        self.unreachable[registry] = f"{registry} unreachable: {why}"
        self.progress.report(
            registry,
            f"not pulling: {registry} did not answer at {time.strftime('%H:%M', time.localtime(at))} "
            f"({why}); using local images and offline builds",
        )
        return True


def _not_again(registry: str) -> str:
    minutes = registry_memory.retry_seconds() / 60
    return f"{registry} is not tried again for {minutes:g} min (ENVSIM_REGISTRY_RETRY seconds)"


def _registry(name: str) -> str:
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def _short(error: Exception) -> str:
    text = getattr(error, "explanation", None) or str(error)
    return " ".join(str(text).split())[:200]
