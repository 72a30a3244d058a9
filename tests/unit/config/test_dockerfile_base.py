"""`build: {base: IMAGE}`: which FROM lines are replaced in the build copy."""

from __future__ import annotations

from config_helpers import profile_messages, write

from envsim.config.dockerfile import base_problem, external_images, rewrite_base, rewrite_images

MULTI_STAGE = """\
# syntax=docker/dockerfile:1
ARG PY=3.9.10
FROM docker.io/library/python:${PY} AS build
RUN pip wheel -w /wheels .
FROM node:18 AS assets
RUN npm ci
FROM python:${PY}-slim
COPY --from=build /wheels /wheels
COPY --from=assets /app/dist /static
"""


def test_every_from_of_the_final_stage_repository_is_replaced_others_kept():
    text, replaced = rewrite_base(MULTI_STAGE, {}, "python:3.11-slim")
    assert replaced == ["docker.io/library/python:3.9.10", "python:3.9.10-slim"]
    lines = text.splitlines()
    assert lines[2] == "FROM python:3.11-slim AS build"
    assert lines[4] == "FROM node:18 AS assets"
    assert lines[6] == "FROM python:3.11-slim"
    assert lines[0] == "# syntax=docker/dockerfile:1" and text.endswith("/static\n")
    assert external_images(text, {}) == ["python:3.11-slim", "node:18"]


def test_a_final_stage_from_an_earlier_stage_follows_it_back():
    dockerfile = "FROM golang:1.22 AS build\nRUN go build\nFROM build AS test\nFROM test\n"
    text, replaced = rewrite_base(dockerfile, {}, "golang:1.19")
    assert replaced == ["golang:1.22"]
    assert text.splitlines()[0] == "FROM golang:1.19 AS build"


def test_build_args_pick_the_image_and_platform_flags_stay():
    text, _ = rewrite_base(
        "ARG BASE=python:3.9\nFROM --platform=linux/amd64 ${BASE}\n", {"BASE": "python:3.8"}, "python:3.11"
    )
    assert text == "ARG BASE=python:3.9\nFROM --platform=linux/amd64 python:3.11\n"


def test_nothing_to_replace_is_a_problem():
    assert "scratch" in base_problem("FROM golang AS b\nFROM scratch\nCOPY --from=b /x /x\n", {})
    assert "no FROM" in base_problem("RUN true\n", {})
    assert base_problem("FROM python:3.9\n", {}) is None
    assert rewrite_base("FROM scratch\n", {}, "x") == ("FROM scratch\n", [])


def test_profile_base_is_checked_against_the_dockerfile(repo):
    write(repo, "app/Dockerfile", "FROM python:3.9.10-slim\nRUN true\n")
    write(repo, "tool/Dockerfile", "FROM golang:1.22 AS build\nFROM scratch\n")
    text = """
    envsim: 1
    services:
      api: {build: {context: ../app, base: "python:3.11-slim"}}
      tool: {build: {context: ../tool, base: "golang:1.19"}}
      bad: {build: {context: ../app, base: "has space"}}
    """
    messages = profile_messages(repo, text)
    assert messages[0] == (
        "profiles/p.yaml:4:42: services.tool.build.base: the Dockerfile's final stage starts "
        "FROM scratch, not an image, so `base` has nothing to replace (Dockerfile)"
    )
    assert messages[1].startswith("profiles/p.yaml:5:40: services.bad.build.base:")
    assert len(messages) == 2


def test_base_reaches_the_model(repo):
    from envsim.config import load_profile

    (repo / "app").mkdir()
    (repo / "app/Dockerfile").write_text("FROM python:3.9\n")
    (repo / "profiles/p.yaml").write_text(
        "envsim: 1\nservices:\n  api: {build: {context: ../app, base: 'python:3.11-slim'}}\n"
    )
    service = load_profile(repo / "profiles/p.yaml", {}).services[0]
    assert service.build.base == "python:3.11-slim"


def test_stand_ins_are_reached_by_rewriting_the_from_lines_that_name_them():
    text = (
        "ARG PY=3.9\nFROM --platform=linux/amd64 python:${PY}-slim AS build\nRUN make\n"
        "FROM node:18 AS assets\nFROM python:3.9-slim\nCOPY --from=build /app /app\n"
    )
    rewritten = rewrite_images(text, {}, {"python:3.9-slim": "envsim/stand-in/python:3.9-slim"})
    assert rewritten == (
        "ARG PY=3.9\nFROM --platform=linux/amd64 envsim/stand-in/python:3.9-slim AS build\nRUN make\n"
        "FROM node:18 AS assets\nFROM envsim/stand-in/python:3.9-slim\nCOPY --from=build /app /app\n"
    )
    assert rewrite_images(text, {}, {}) == text
