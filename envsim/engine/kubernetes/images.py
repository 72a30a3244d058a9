"""Bringing the images envsim prepared on the local Docker engine to the cluster.

A cluster on this machine with no registry (scripts/k8s-setup.sh's) gets them imported into its
containerd: `docker save` streamed into `ctr images import`, as the script's `import` does. The
CRI has no call to load an image and containerd's own API takes content blob by blob, so `ctr`
(shipped with containerd) is the one well-kept importer; it needs the containerd socket, so this
path is for a cluster on this machine only. A cluster elsewhere gets them pushed to `--registry`,
and its pods pull them from there.

Imports are skipped for images the cluster has already: each imported image is labelled in
containerd with the Docker image id it came from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from docker import auth as docker_auth
from docker import utils as docker_utils

from envsim.errors import EnvironmentProblem

if TYPE_CHECKING:
    import docker

CONTAINERD_ENV = "ENVSIM_K8S_CONTAINERD"
DEFAULT_CONTAINERD = "/run/envsim-k8s/containerd.sock"  # scripts/k8s-setup.sh's containerd
ID_LABEL = "envsim.docker-image-id"
CONTAINERD_NAMESPACE = "k8s.io"  # where the kubelet's CRI looks for images


def normalized(reference: str) -> str:
    """A reference as containerd names it (`postgres:15` -> `docker.io/library/postgres:15`)."""
    first, _, rest = reference.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        reference = f"docker.io/{reference if rest else 'library/' + reference}"
    return reference


def local_tag(client: docker.DockerClient, image_id: str, wanted: str) -> str:
    """A tag of the image to name it by: `wanted` when the image carries it, else `preferred_tag`."""
    return preferred_tag(client.images.get(image_id).tags, wanted)


def preferred_tag(tags: Iterable[str], wanted: str) -> str:
    """`wanted` when among `tags` (or there are none); else the first tag that names no registry
    host, else the first. A tag under a registry's host may be one a push (this command's, or
    another envsim's at the same time, or one interrupted) put on the image for a moment: named
    by it, the image would be pushed again under REGISTRY/REGISTRY/... or imported under a name
    that goes away."""
    tags = sorted(tags)
    if wanted in tags or not tags:
        return wanted
    return min(tags, key=lambda tag: docker_auth.resolve_repository_name(tag)[0] != docker_auth.INDEX_NAME)


class ContainerdImporter:
    """Imports into a containerd on this machine through `ctr`."""

    def __init__(self, socket: str):
        self.socket = socket

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ContainerdImporter:
        socket = env.get(CONTAINERD_ENV) or DEFAULT_CONTAINERD
        if shutil.which("ctr") is None or not os.path.exists(socket):
            raise EnvironmentProblem(
                f"the cluster's images cannot be imported: no containerd socket at {socket} "
                f"(or no `ctr` on PATH); envsim started nothing on the cluster",
                hint=f"for a cluster on this machine set {CONTAINERD_ENV} to its containerd socket; "
                "for a cluster elsewhere pass --registry REGISTRY (pushed there, pulled by the cluster)",
            )
        return cls(socket)

    def _ctr(self, *args: str, stdin=None) -> subprocess.CompletedProcess:
        command = ["ctr", "--address", self.socket, "--namespace", CONTAINERD_NAMESPACE, *args]
        return subprocess.run(command, stdin=stdin, capture_output=True, text=stdin is None, check=False)

    def present(self) -> dict[str, str]:
        """Image name -> the Docker image id it was imported from (images envsim imported)."""
        listed = self._ctr("images", "ls")
        if listed.returncode != 0:
            raise EnvironmentProblem(f"ctr could not list the cluster's images: {listed.stderr.strip()}")
        found = {}
        for line in listed.stdout.splitlines()[1:]:
            fields = line.split()
            labels = dict(item.partition("=")[::2] for item in fields[-1].split(",")) if fields else {}
            if fields and ID_LABEL in labels:
                found[fields[0]] = labels[ID_LABEL]
        return found

    def import_images(
        self, client: docker.DockerClient, images: Mapping[str, str], notify: Callable[[str], None]
    ) -> None:
        """Import each `tag -> Docker image id` the cluster lacks, in one stream."""
        present = self.present()
        missing = {tag: image_id for tag, image_id in images.items() if present.get(normalized(tag)) != image_id}
        if not missing:
            notify(f"all {len(images)} images are in the cluster already")
            return
        for tag, image_id in sorted(missing.items()):
            notify(f"importing {tag} into the cluster")
            self._stream(client, tag)
            self._ctr("images", "label", normalized(tag), f"{ID_LABEL}={image_id}")

    def _stream(self, client: docker.DockerClient, tag: str) -> None:
        command = ["ctr", "--address", self.socket, "--namespace", CONTAINERD_NAMESPACE]
        command += ["images", "import", "--snapshotter", "overlayfs", "-"]
        importer = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert importer.stdin is not None and importer.stderr is not None
        errors: list[bytes] = []
        reader = threading.Thread(target=lambda: errors.append(importer.stderr.read()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        try:
            for chunk in client.api.get_image(tag):  # `docker save`
                importer.stdin.write(chunk)
        except BrokenPipeError:
            pass  # ctr stopped reading; its exit status says why
        finally:
            importer.stdin.close()
        code = importer.wait()
        reader.join()
        if code != 0:
            detail = b"".join(errors).decode(errors="replace").strip()
            raise EnvironmentProblem(f"importing images into the cluster failed: ctr exited {code}: {detail}")


def registry_name(registry: str, tag: str) -> tuple[str, str]:
    """(repository, tag) under `registry` for a local image tag: its own registry host left out
    (`ghcr.io/shopify/toxiproxy:2.12.0` -> `REGISTRY/shopify/toxiproxy`, `postgres:15` ->
    `REGISTRY/postgres`), its tag kept, `latest` when it names none or a digest."""
    repository, version = docker_utils.parse_repository_tag(tag)
    _, path = docker_auth.resolve_repository_name(repository)
    if path.startswith("library/") and "/" not in repository:
        path = path.removeprefix("library/")  # Docker Hub's official images, named as written
    if not version or version.startswith("sha256:"):
        version = "latest"
    return f"{registry.rstrip('/')}/{path}", version


def pushed_digest(lines: Iterable[Mapping[str, Any]], name: str, registry: str) -> str:
    """The manifest digest a push stream reports at its end; EnvironmentProblem when it failed."""
    digest = ""
    for line in lines:
        if "error" in line:
            raise EnvironmentProblem(
                f"pushing {name} to {registry} failed: {line['error']}",
                hint="the local Docker engine pushes with its own credentials (`docker login`); "
                "a registry over plain HTTP must be among its insecure-registries (127.0.0.0/8 is by default)",
            )
        digest = str((line.get("aux") or {}).get("Digest") or digest)
    if not digest:
        raise EnvironmentProblem(f"pushing {name} to {registry} reported no digest")
    return digest


def push_images(
    client: docker.DockerClient, images: Mapping[str, str], registry: str, notify: Callable[[str], None]
) -> dict[str, str]:
    """Push each `tag -> Docker image id` to `registry`; returns tag -> the pushed image by digest
    (`REGISTRY/name@sha256:...`). By digest, not tag: the pods' `IfNotPresent` would keep running
    the image a node pulled before under the same tag (`:latest` of a rebuilt service). The tag
    under the registry's name that the push needs is removed from the local engine afterwards."""
    pushed = {}
    for tag, image_id in sorted(images.items()):
        repository, version = registry_name(registry, tag)
        name = f"{repository}:{version}"
        image = client.images.get(image_id)
        tagged_here = name not in image.tags
        image.tag(repository, version)
        notify(f"pushing {name}")
        try:
            stream = client.images.push(repository, version, stream=True, decode=True)
            pushed[tag] = f"{repository}@{pushed_digest(stream, name, registry)}"
        finally:
            if tagged_here:
                client.images.remove(name, noprune=True)
    return pushed
