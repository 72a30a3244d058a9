"""The MockServer image's offline recipe: names, the Maven layout, cache keys. No engine, no network."""

from __future__ import annotations

import pytest

from envsim.errors import EnvironmentProblem
from envsim.images import (
    MOCKSERVER_IMAGE,
    MOCKSERVER_LOCAL_IMAGE,
    ImageRequirement,
    mockserver_requirement,
)
from envsim.images.mockserver_build import jar_sha1, jar_url, maven_repository
from envsim.images.prepare_test_images import TEST_IMAGES
from envsim.images.recipes import recipe_files


def test_pinned_official_image_and_its_local_stand_in():
    assert MOCKSERVER_IMAGE == "mockserver/mockserver:7.6.0"
    assert MOCKSERVER_LOCAL_IMAGE == "envsim/mockserver:7.6.0"


def test_requirement_is_the_pinned_image_unless_overridden():
    assert mockserver_requirement() == ImageRequirement(MOCKSERVER_IMAGE, "mockserver")
    assert mockserver_requirement(None) == mockserver_requirement("")
    # another image is used as given: present or pulled, never built from the recipe
    assert mockserver_requirement("registry.example/mockserver:7.6.0") == ImageRequirement(
        "registry.example/mockserver:7.6.0", "image"
    )


def test_jar_url_follows_the_maven_repository_layout():
    assert jar_url("https://repo.maven.apache.org/maven2") == (
        "https://repo.maven.apache.org/maven2/org/mock-server/mockserver-netty/7.6.0/"
        "mockserver-netty-7.6.0-jar-with-dependencies.jar"
    )


def test_maven_repository_can_be_a_mirror(monkeypatch):
    monkeypatch.delenv("ENVSIM_MAVEN_REPOSITORY", raising=False)
    assert maven_repository() == "https://repo.maven.apache.org/maven2"
    monkeypatch.setenv("ENVSIM_MAVEN_REPOSITORY", "https://mirror.example/maven2/")
    assert maven_repository() == "https://mirror.example/maven2"


def test_the_jar_checksum_is_pinned_per_version():
    assert jar_sha1("7.6.0") == "ec5cc9950e1d88092fdee9496c67f39901937057"
    with pytest.raises(EnvironmentProblem, match="no checksum"):
        jar_sha1("9.9.9")


def test_recipe_starts_mockserver_like_the_official_image():
    dockerfile = recipe_files("mockserver")["Dockerfile"].decode()
    assert "FROM ${ENVSIM_BASE}" in dockerfile
    assert "EXPOSE 1080" in dockerfile
    assert '"org.mockserver.cli.Main"' in dockerfile
    assert 'CMD ["-serverPort", "1080", "-logLevel", "WARN"]' in dockerfile
    assert "USER 65532" in dockerfile


def test_tests_prepare_the_mockserver_image():
    assert ImageRequirement(MOCKSERVER_IMAGE, "mockserver") in TEST_IMAGES


def test_cache_key_follows_the_pinned_jar(monkeypatch):
    from envsim.images import ensure, mockserver_build

    key = ensure.mockserver_key()
    assert key == ensure.mockserver_key()
    monkeypatch.setitem(mockserver_build.JAR_SHA1, "7.6.0", "0" * 40)
    assert ensure.mockserver_key() != key
