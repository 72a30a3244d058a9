"""Unreachable registries are remembered for ENVSIM_REGISTRY_RETRY seconds, and forgotten."""

from envsim.images import registry_memory


def test_remembered_until_the_retry_time(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert registry_memory.unreachable_since("docker.io") is None
    registry_memory.remember_unreachable("docker.io", "no such host", now=1000.0)
    assert registry_memory.unreachable_since("docker.io", now=1000.0 + 899) == (1000.0, "no such host")
    assert registry_memory.unreachable_since("docker.io", now=1000.0 + 900) is None
    assert registry_memory.unreachable_since("ghcr.io", now=1001.0) is None
    monkeypatch.setenv("ENVSIM_REGISTRY_RETRY", "60")
    assert registry_memory.unreachable_since("docker.io", now=1000.0 + 61) is None


def test_a_pull_that_works_forgets_it_and_a_broken_file_is_no_memory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    registry_memory.remember_unreachable("docker.io", "dial tcp: i/o timeout")
    registry_memory.forget("docker.io")
    assert registry_memory.unreachable_since("docker.io") is None
    (tmp_path / "envsim" / "unreachable-registries.json").write_text("{not json")
    assert registry_memory.unreachable_since("docker.io") is None
    registry_memory.remember_unreachable("docker.io", "no such host")
    assert registry_memory.unreachable_since("docker.io") is not None
