"""A registry that does not answer is said once and remembered across commands, on a real engine.

Seen: with no registry, every `up` and `run` printed a failed-pull line per image. The registry
here is a closed port on loopback, so the engine's pull fails as a network failure at once.
"""

from __future__ import annotations

from envsim.images import registry_memory
from envsim.images.pulling import Puller

CLOSED = "127.0.0.1:1"
IMAGES = [f"{CLOSED}/envsim-test/first:1", f"{CLOSED}/envsim-test/second:1"]


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def report(self, image: str, message: str) -> None:
        self.lines.append(f"{image}: {message}")


def _one_command(docker_client) -> list[str]:
    progress = Lines()
    puller = Puller(docker_client, progress, pull=True, pull_timeout=10.0)
    for image in IMAGES:
        assert puller.try_pull(image)[0] is None
    return progress.lines


def test_an_unreachable_registry_is_said_once_and_remembered(docker_client, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = _one_command(docker_client)
    failures = [line for line in first if "pull failed" in line]
    assert len(failures) == 1 and "not tried again for 15 min" in failures[0], first
    assert registry_memory.unreachable_since(CLOSED) is not None

    second = _one_command(docker_client)  # a later command: nothing pulled, said once
    assert len(second) == 1 and "not pulling: 127.0.0.1:1 did not answer at" in second[0], second

    monkeypatch.setenv("ENVSIM_REGISTRY_RETRY", "0")  # remembered no longer: tried again
    third = _one_command(docker_client)
    assert any("pulling from 127.0.0.1:1" in line for line in third), third
