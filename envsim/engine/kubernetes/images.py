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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

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
    """A tag of the image to name it by: `wanted` when the image carries it, else its first tag."""
    tags = client.images.get(image_id).tags
    if wanted in tags or not tags:
        return wanted
    return sorted(tags)[0]


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


def push_images(
    client: docker.DockerClient, images: Mapping[str, str], registry: str, notify: Callable[[str], None]
) -> dict[str, str]:
    """Tag each `tag -> Docker image id` as `REGISTRY/<tag>` and push it; returns tag -> pushed name."""
    pushed = {}
    for tag, image_id in sorted(images.items()):
        name = f"{registry.rstrip('/')}/{tag.split('/', 1)[1] if '.' in tag.split('/')[0] else tag}"
        repository, _, version = name.rpartition(":")
        client.images.get(image_id).tag(repository, version)
        notify(f"pushing {name}")
        for line in client.images.push(repository, version, stream=True, decode=True):
            if "error" in line:
                raise EnvironmentProblem(f"pushing {name} to {registry} failed: {line['error']}")
        pushed[tag] = name
    return pushed
