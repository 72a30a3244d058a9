"""MockServer's jar-with-dependencies from a Maven repository, cached under ~/.cache/envsim/.

Fetched on the host (containers may not reach Maven Central) over plain HTTPS, the way Maven
itself resolves an artifact, and checked against a SHA-1 pinned here (the one Maven Central
publishes) before it is kept: a mirror or proxy cannot change what runs.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from envsim.errors import EnvironmentProblem
from envsim.images import host
from envsim.images.download import PinnedFile, cached_download
from envsim.images.progress import ImageProgress
from envsim.images.requirements import MOCKSERVER_LOCAL_IMAGE, MOCKSERVER_VERSION

GROUP = "org.mock-server"
ARTIFACT = "mockserver-netty"
CLASSIFIER = "jar-with-dependencies"
DEFAULT_REPOSITORY = "https://repo.maven.apache.org/maven2"
# Maven Central's published SHA-1 of each version's jar-with-dependencies.
JAR_SHA1 = {"7.6.0": "ec5cc9950e1d88092fdee9496c67f39901937057"}
_TIMEOUT = 60.0  # per socket operation; the jar is ~100 MB


def maven_repository() -> str:
    """ENVSIM_MAVEN_REPOSITORY (a mirror of Maven Central), else Maven Central itself."""
    return (os.environ.get("ENVSIM_MAVEN_REPOSITORY") or DEFAULT_REPOSITORY).rstrip("/")


def jar_name(version: str = MOCKSERVER_VERSION) -> str:
    return f"{ARTIFACT}-{version}-{CLASSIFIER}.jar"


def jar_url(repository: str, version: str = MOCKSERVER_VERSION) -> str:
    """Maven's layout: group dots become slashes, then artifact/version/file."""
    return f"{repository}/{GROUP.replace('.', '/')}/{ARTIFACT}/{version}/{jar_name(version)}"


def jar_sha1(version: str = MOCKSERVER_VERSION) -> str:
    try:
        return JAR_SHA1[version]
    except KeyError:
        raise EnvironmentProblem(f"envsim pins no checksum for MockServer {version}") from None


def mockserver_jar(progress: ImageProgress, version: str = MOCKSERVER_VERSION) -> Path:
    """The cached jar, downloading and verifying it first if needed."""
    url = jar_url(maven_repository(), version)
    return cached_download(
        PinnedFile(
            url=url,
            target=host.cache_dir() / "mockserver" / version / jar_name(version),
            algorithm="sha1",
            expected=jar_sha1(version),
            digest_text=lambda digest: digest.hexdigest(),
            mismatch=f"{url} does not match MockServer {version}'s published SHA-1",
            mismatch_hint="a proxy or mirror altered the download; set ENVSIM_MAVEN_REPOSITORY to another mirror",
        ),
        _open,
        progress,
        MOCKSERVER_LOCAL_IMAGE,
    )


def _open(url: str):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "envsim"}), timeout=_TIMEOUT)
    except urllib.error.HTTPError as error:
        raise EnvironmentProblem(
            f"{url}: HTTP {error.code}",
            hint="the Maven repository must hold this version; set ENVSIM_MAVEN_REPOSITORY for a mirror",
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise EnvironmentProblem(
            f"{MOCKSERVER_LOCAL_IMAGE} must be built (no registry answered) and {url} is unreachable: {reason}",
            hint="reach Maven Central (or set ENVSIM_MAVEN_REPOSITORY), or `docker load` mockserver/mockserver",
        ) from None
