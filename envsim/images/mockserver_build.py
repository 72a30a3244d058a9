"""MockServer's jar-with-dependencies from a Maven repository, cached under ~/.cache/envsim/.

Fetched on the host (containers may not reach Maven Central) over plain HTTPS, the way Maven
itself resolves an artifact, and checked against a SHA-1 pinned here (the one Maven Central
publishes) before it is kept: a mirror or proxy cannot change what runs.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from envsim.errors import EnvironmentProblem
from envsim.images import host
from envsim.images.progress import ImageProgress
from envsim.images.requirements import MOCKSERVER_LOCAL_IMAGE, MOCKSERVER_VERSION

GROUP = "org.mock-server"
ARTIFACT = "mockserver-netty"
CLASSIFIER = "jar-with-dependencies"
DEFAULT_REPOSITORY = "https://repo.maven.apache.org/maven2"
# Maven Central's published SHA-1 of each version's jar-with-dependencies.
JAR_SHA1 = {"7.6.0": "ec5cc9950e1d88092fdee9496c67f39901937057"}
_TIMEOUT = 60.0  # per socket operation; the jar is ~100 MB
_CHUNK = 1 << 20


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
    expected = jar_sha1(version)
    target = host.cache_dir() / "mockserver" / version / jar_name(version)
    if target.is_file():
        return target  # only verified downloads are ever renamed into place
    url = jar_url(maven_repository(), version)
    target.parent.mkdir(parents=True, exist_ok=True)
    progress.report(MOCKSERVER_LOCAL_IMAGE, f"downloading {url}")
    started = time.monotonic()
    handle, staging_name = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    staging = Path(staging_name)
    try:
        digest = hashlib.sha1()
        with os.fdopen(handle, "wb") as out, _open(url) as response:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected:
            raise EnvironmentProblem(
                f"{url} does not match MockServer {version}'s published SHA-1 ({digest.hexdigest()} != {expected})",
                hint="a proxy or mirror altered the download; set ENVSIM_MAVEN_REPOSITORY to another mirror",
            )
        os.chmod(staging, 0o644)  # mkstemp made it private; the jar is public and images copy the mode
        # Publish atomically so a concurrent or interrupted download never leaves half a jar.
        staging.replace(target)
    except OSError as error:
        raise EnvironmentProblem(f"downloading {url} failed: {error}") from error
    finally:
        staging.unlink(missing_ok=True)
    size = target.stat().st_size / 1e6
    progress.report(MOCKSERVER_LOCAL_IMAGE, f"jar downloaded ({size:.0f} MB) in {time.monotonic() - started:.0f}s")
    return target


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

