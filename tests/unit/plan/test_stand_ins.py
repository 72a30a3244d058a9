"""Offline stand-ins by version: exact where a Debian release has it, else the nearest, loudly."""

from __future__ import annotations

import pytest

from envsim.plan.stand_ins import RELEASES, offline_tags, resolve_stand_in


@pytest.mark.parametrize("image, suite, version, match", [
    ("postgres:13", "bullseye", "13", "exact"),
    ("postgres:15-alpine", "bookworm", "15", "exact"),
    ("postgres:17.2", "trixie", "17", "series"),
    ("postgres:11.5-alpine", "bullseye", "13", "nearest"),  # below every release: the oldest
    ("postgres:16", "trixie", "17", "nearest"),  # a tie between 15 and 17: the newer
    ("postgres:14", "bookworm", "15", "nearest"),
    ("postgres:18", "trixie", "17", "nearest"),
    ("redis:6", "bullseye", "6.0", "exact"),
    ("redis:8.0", "trixie", "8.0", "exact"),
    ("redis:7.2", "bookworm", "7.0", "nearest"),  # same major beats a nearer-looking other major
    ("redis:5", "bullseye", "6.0", "nearest"),
    ("python:3.9.10-slim", "bullseye", "3.9", "series"),
    ("python:3.13-slim-trixie", "trixie", "3.13", "exact"),
    ("python:3", "trixie", "3.13", "exact"),  # `python:3` is the newest 3.x
    ("python:3.12-slim", "trixie", "3.13", "nearest"),
    ("python:3.8", "bullseye", "3.9", "nearest"),
    ("postgres", "trixie", "17", "nearest"),  # latest: no version asked, the newest with a warning
])
def test_the_release_is_chosen_by_version(image, suite, version, match):
    stand_in = resolve_stand_in(image)
    assert (stand_in.suite, stand_in.version, stand_in.match) == (suite, version, match)
    assert stand_in.base_image == f"envsim/debian:{suite}"
    assert stand_in.requested == image


def test_exact_stand_ins_say_nothing_and_others_warn_loudly():
    assert resolve_stand_in("postgres:15").warning() is None
    loud = resolve_stand_in("postgres:11.5-alpine").warning()
    assert loud.startswith("WARNING: postgres:11.5-alpine asks for PostgreSQL 11.5")
    assert "Debian bullseye's PostgreSQL 13" in loud and "NOT run the pinned version" in loud
    assert "postgres:13, postgres:15, postgres:17" in loud
    assert "patch level 3.9.10" in resolve_stand_in("python:3.9.10").warning()


def test_images_without_a_recipe_or_fit_have_none():
    assert resolve_stand_in("nginx:1.25") is None
    assert resolve_stand_in("postgres@sha256:" + "0" * 64) is None
    assert resolve_stand_in("python:2.7") is None  # Python 2 code cannot run on 3


def test_every_release_carries_every_family_once():
    assert [suite for suite, _ in RELEASES] == ["bullseye", "bookworm", "trixie"]
    assert offline_tags("redis") == ["redis:6.0", "redis:7.0", "redis:8.0"]


def test_to_dict_is_plain_data_for_journals_and_json():
    assert resolve_stand_in("redis:7.2").to_dict() == {
        "requested": "redis:7.2", "stand_in": "Debian bookworm's Redis 7.0", "suite": "bookworm",
        "version": "7.0", "match": "nearest"}


def test_the_plan_shows_each_images_offline_stand_in_and_warns(profile):
    from dataclasses import replace

    from envsim.plan.render import stack_to_dict, stack_to_text
    from envsim.plan.stack import plan_stack

    services = tuple(replace(s, image="postgres:11.5-alpine") if s.name == "db" else s for s in profile.services)
    plan = plan_stack(replace(profile, services=services))
    text = stack_to_text(plan)
    assert ("  offline  Debian bullseye's PostgreSQL 13 stands in if postgres:11.5-alpine is neither present "
            "nor pullable (nearest)") in text
    assert "  WARNING: postgres:11.5-alpine asks for PostgreSQL 11.5" in text
    containers = {c["service"]: c for c in stack_to_dict(plan)["containers"]}
    assert containers["db"]["offline_stand_in"]["version"] == "13"
    assert containers["api"]["offline_stand_in"] is None  # built from its Dockerfile


def test_a_running_images_labels_say_what_it_stands_in_for():
    from envsim.plan.stand_ins import describe_record, stand_in_of_image

    labels = {"envsim.substitute": "debian", "envsim.recipe": "postgres", "envsim.stand-in.suite": "bullseye",
              "envsim.stand-in.version": "13"}
    record = stand_in_of_image(labels, ["postgres:11.5-alpine", "envsim-x/api:latest"])
    assert record == {"requested": "postgres:11.5-alpine", "stand_in": "Debian bullseye's PostgreSQL 13",
                      "suite": "bullseye", "version": "13", "match": "nearest"}
    assert describe_record(record) == ("Debian bullseye's PostgreSQL 13 in place of postgres:11.5-alpine "
                                       "(nearest: NOT the pinned version)")
    # tagged both exactly and as a near version: the loud one counts
    assert stand_in_of_image({**labels, "envsim.stand-in.version": "13"}, ["postgres:13", "postgres:12"])["match"] == "nearest"
    # labelled before releases were recorded: bookworm's
    old = stand_in_of_image({"envsim.substitute": "debian", "envsim.recipe": "redis"}, ["redis:7"])
    assert (old["suite"], old["match"]) == ("bookworm", "exact")
    assert stand_in_of_image({"envsim.managed": "true"}, ["postgres:15"]) is None
