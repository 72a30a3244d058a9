"""The Debian base images stand-ins build FROM (one per release): debootstrap + `docker import`.

Needs no registry: only the apt mirror this machine already uses. The machine's CA bundle is
added as an extra CA so that containers trust what the machine trusts (e.g. an egress proxy).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from envsim.errors import EnvironmentProblem
from envsim.images import host
from envsim.images.progress import ImageProgress
from envsim.images.recipes import DEBIAN_SUITE, debian_base_image, managed_labels, recipe_hash

# Bump when the steps below change.
_BASE_RECIPE = "debian-base-1"
_DEBOOTSTRAP_TIMEOUT = 900.0


def debian_base_key(suite: str = DEBIAN_SUITE) -> str:
    """A base image's cache key: suite, mirrors and the CA bundle it trusts."""
    mirror, security = host.host_apt_mirrors(suite)
    bundle = host.ca_bundle()
    bundle_digest = hashlib.sha256(bundle.read_bytes()).hexdigest() if bundle else "none"
    return recipe_hash(
        {},
        {},
        {
            "recipe": _BASE_RECIPE,
            "suite": suite,
            "mirror": mirror,
            "security": security or "",
            "ca-bundle": bundle_digest,
        },
    )


def build_debian_base(client, key: str, progress: ImageProgress, suite: str = DEBIAN_SUITE) -> str:
    """Build and import the base image of `suite` (envsim/debian:SUITE); returns its id."""
    image = debian_base_image(suite)
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            f"building {image} needs root (debootstrap creates device files and chroots)",
            hint="run `envsim images prepare` as root once (e.g. with sudo), or `docker load` a prepared image",
        )
    if shutil.which("debootstrap") is None:
        raise EnvironmentProblem(
            f"building {image} needs debootstrap, which is not installed",
            hint="apt-get install debootstrap",
        )
    mirror, security = host.host_apt_mirrors(suite)
    workdir = Path(tempfile.mkdtemp(prefix="debian-base-", dir=_work_root()))
    rootfs = workdir / "rootfs"
    try:
        progress.report(image, f"debootstrap {suite} from {mirror}")
        started = time.monotonic()
        _run(
            ["debootstrap", "--variant=minbase", "--include=ca-certificates", suite, str(rootfs), mirror],
            workdir / "debootstrap.log",
            "debootstrap",
            image,
        )
        progress.report(image, f"debootstrap done in {time.monotonic() - started:.0f}s")
        _configure_rootfs(rootfs, suite, mirror, security, workdir, image)
        tarball = workdir / "rootfs.tar"
        _run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tarball), "."], workdir / "tar.log", "tar", image)
        progress.report(image, "importing into the engine")
        repository, tag = image.rsplit(":", 1)
        changes = [f"LABEL {name}={value}" for name, value in managed_labels("debian-base", key).items()]
        changes += ["ENV LANG=C.UTF-8", 'CMD ["bash"]']
        client.api.import_image_from_file(str(tarball), repository=repository, tag=tag, changes=changes)
        return client.images.get(image).id
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _configure_rootfs(rootfs: Path, suite: str, mirror: str, security: str | None, workdir: Path, image: str) -> None:
    sources = [f"deb {mirror} {suite} main", f"deb {mirror} {suite}-updates main"]
    if security:
        sources.append(f"deb {security} {suite}-security main")
    (rootfs / "etc/apt/sources.list").write_text("\n".join(sources) + "\n")
    # As Debian's own container images: no recommends, no package cache left in layers.
    (rootfs / "etc/apt/apt.conf.d/90envsim").write_text(
        'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };\n'
    )
    bundle = host.ca_bundle()
    if bundle is not None:
        target = rootfs / "usr/local/share/ca-certificates/envsim-host-bundle.crt"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle, target)
        _run(["chroot", str(rootfs), "update-ca-certificates"], workdir / "ca.log", "update-ca-certificates", image)
    for leftovers in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for path in (rootfs / leftovers).glob("*"):
            if path.is_file():
                path.unlink()


def _run(command: list[str], log: Path, what: str, image: str) -> None:
    with log.open("wb") as out:
        try:
            completed = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=_DEBOOTSTRAP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise EnvironmentProblem(f"{what} took longer than {_DEBOOTSTRAP_TIMEOUT:.0f}s") from None
    if completed.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise EnvironmentProblem(
            f"{what} failed (exit {completed.returncode}) while building {image}:\n{tail}",
            hint="check that the apt mirror is reachable (ENVSIM_DEBIAN_MIRROR overrides it)",
        )


def _work_root() -> Path:
    root = host.cache_dir() / "work"
    root.mkdir(parents=True, exist_ok=True)
    return root
