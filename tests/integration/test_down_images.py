"""`down --images` removes every image envsim built for a stack, earlier (untagged) builds too."""

from __future__ import annotations

import uuid

from envsim.api.stack import down
from envsim.engine.docker_backend import DockerBackend
from envsim.engine.docker_engine import BUILT_AS_LABEL
from envsim.images.builder import build_image
from envsim.images.progress import SilentProgress
from envsim.images.recipes import managed_labels
from envsim.plan.stack import STACK_LABEL, built_image_tag


def _build(client, context, tag, text):
    (context / "Dockerfile").write_text("FROM envsim/debian:bookworm\nCOPY app.txt /app.txt\n")
    (context / "app.txt").write_text(text)
    return build_image(client, context, tag, labels=managed_labels("build:app", text), progress=SilentProgress())


def _built_for(client, stack):
    prefix = built_image_tag(stack, "x").split("/")[0] + "/"
    return [
        image
        for image in client.images.list(filters={"label": "envsim.managed=true"})
        if (image.labels or {}).get(BUILT_AS_LABEL, "").startswith(prefix)
        or any(t.startswith(prefix) for t in image.tags)
    ]


def test_down_images_removes_earlier_untagged_builds(docker_client, tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSIM_STATE_DIR", str(tmp_path / "state"))
    stack, other = f"it-{uuid.uuid4().hex[:8]}", f"it-{uuid.uuid4().hex[:8]}"
    tag = built_image_tag(stack, "app")
    created = []
    try:
        first = _build(docker_client, tmp_path, tag, "one")
        # the stack's container runs the first build while the second is made: the rebuild
        # cannot drop it, and it stays behind untagged once the container is replaced
        container = docker_client.containers.create(first, command=["true"], labels={STACK_LABEL: stack})
        created.append(container)
        second = _build(docker_client, tmp_path, tag, "two")
        assert first != second
        assert docker_client.images.get(first).tags == []  # the earlier build, now untagged
        other_image = _build(docker_client, tmp_path, built_image_tag(other, "app"), "other")
        assert {i.id for i in _built_for(docker_client, stack)} == {first, second}

        counts, images = down(
            stack,
            images=True,
            reap=False,
            backend=DockerBackend(docker_client),
            env={"ENVSIM_STATE_DIR": str(tmp_path / "state")},
        )  # `envsim down --images`
        assert counts.containers == 1 and images == 2
        assert _built_for(docker_client, stack) == []
        assert docker_client.images.get(other_image).id == other_image  # another stack's build stays
    finally:
        for container in created:
            try:
                container.remove(force=True, v=True)
            except Exception:
                pass
        for name in (stack, other):
            for image in _built_for(docker_client, name):
                try:
                    docker_client.images.remove(image.id, force=True)
                except Exception:
                    pass
