"""The Locust worker image's build context: this envsim's source and the versions the master runs."""

from __future__ import annotations

from importlib import metadata

from envsim.images.worker_image import WORKER_DISTRIBUTIONS, build_from_name, context_files, worker_image_key


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


def test_the_worker_builds_from_the_name_the_ensured_python_image_carries():
    # seen on a machine with no registry and no earlier images: the Python image was Debian's
    # stand-in, tagged envsim/stand-in/python:3.11-slim only, and `FROM python:3.11-slim` made
    # the build pull from docker.io, which failed
    stand_in = ["envsim/stand-in/python:3.11-slim"]
    assert build_from_name(stand_in, "sha256:38c3") == "envsim/stand-in/python:3.11-slim"
    assert build_from_name([*stand_in, "python:3.11-slim"], "sha256:38c3") == "python:3.11-slim"
    assert build_from_name([], "sha256:38c3") == "sha256:38c3"
