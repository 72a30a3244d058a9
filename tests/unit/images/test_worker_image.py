"""The Locust worker image's build context: this envsim's source and the versions the master runs."""

from __future__ import annotations

from importlib import metadata

from envsim.images.worker_image import WORKER_DISTRIBUTIONS, context_files, worker_image_key


def test_the_context_pins_the_locust_installed_here_and_carries_the_locust_child():
    files = context_files()
    pins = dict(line.split("==") for line in files["requirements.txt"].decode().splitlines())
    assert pins["locust"] == metadata.version("locust") and set(pins) == set(WORKER_DISTRIBUTIONS)
    assert "envsim/run/locust_child/__main__.py" in files and "envsim/__init__.py" in files
    assert "FROM ${ENVSIM_PYTHON}" in files["Dockerfile"].decode()
    assert not any("__pycache__" in path for path in files)


def test_the_key_changes_with_the_source_and_the_python_image():
    files = context_files()
    key = worker_image_key(files, "sha256:aaa")
    assert worker_image_key(dict(files), "sha256:aaa") == key
    assert worker_image_key(files, "sha256:bbb") != key
    changed = {**files, "envsim/run/locust_child/entry.py": b"# another envsim\n"}
    assert worker_image_key(changed, "sha256:aaa") != key
