"""A pinned download: kept only when its digest matches, never half-written, read once."""

from __future__ import annotations

import hashlib
import io

import pytest

from envsim.errors import EnvironmentProblem
from envsim.images.download import PinnedFile, cached_download


class Progress:
    def __init__(self):
        self.lines: list[str] = []

    def report(self, image: str, message: str) -> None:
        self.lines.append(f"{image}: {message}")


def pinned(tmp_path, payload: bytes, url: str = "https://repo.example/a.jar") -> PinnedFile:
    return PinnedFile(
        url=url,
        target=tmp_path / "cache" / "a.jar",
        algorithm="sha1",
        expected=hashlib.sha1(payload).hexdigest(),
        digest_text=lambda d: d.hexdigest(),
        mismatch=f"{url} does not match its published SHA-1",
        mismatch_hint="use another mirror",
    )


def test_a_matching_download_is_kept_readable_and_read_from_the_cache_afterwards(tmp_path):
    opened: list[str] = []

    def opener(url: str):
        opened.append(url)
        return io.BytesIO(b"jar bytes" * 1000)

    spec = pinned(tmp_path, b"jar bytes" * 1000)
    progress = Progress()
    path = cached_download(spec, opener, progress, "envsim/mockserver:7.6.0")
    assert path.read_bytes() == b"jar bytes" * 1000
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert cached_download(spec, opener, progress, "envsim/mockserver:7.6.0") == path
    assert opened == ["https://repo.example/a.jar"]  # the second call used the cache
    assert progress.lines[0] == "envsim/mockserver:7.6.0: downloading https://repo.example/a.jar"
    assert progress.lines[1].startswith("envsim/mockserver:7.6.0: downloaded a.jar (0 MB) in ")


def test_an_altered_download_is_refused_and_leaves_no_file(tmp_path):
    spec = pinned(tmp_path, b"the real jar")
    with pytest.raises(EnvironmentProblem) as refused:
        cached_download(spec, lambda url: io.BytesIO(b"something else"), Progress(), "img")
    assert "does not match its published SHA-1" in str(refused.value)
    assert refused.value.hint == "use another mirror"
    assert list((tmp_path / "cache").iterdir()) == []  # neither the target nor the staging file


def test_a_download_cut_short_leaves_no_half_file(tmp_path):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            raise OSError("connection reset by peer")

    with pytest.raises(EnvironmentProblem, match="downloading https://repo.example/a.jar failed: connection reset"):
        cached_download(pinned(tmp_path, b"x"), lambda url: Broken(), Progress(), "img")
    assert list((tmp_path / "cache").iterdir()) == []
