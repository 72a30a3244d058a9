"""required_images and Dockerfile FROM resolution: plain data, no engine."""

from __future__ import annotations

from pathlib import Path

from envsim.config.profile_model import BuildSpec, Profile, Service, StubSpec
from envsim.images import MOCKSERVER_IMAGE, TOXIPROXY_IMAGE, ImageRequirement, build_image_name, required_images
from envsim.images.requirements import dockerfile_base_images


def profile(tmp_path: Path, *services: Service) -> Profile:
    return Profile(name="prod-like", source=tmp_path / "profiles/prod-like.yaml", root=tmp_path, services=services)


def test_images_once_each_with_every_user_then_toxiproxy(tmp_path):
    reqs = required_images(
        profile(
            tmp_path,
            Service("db", image="postgres:15"),
            Service("cache", image="redis:7"),
            Service("replica", image="postgres:15"),
            Service("payments", stub=StubSpec()),
        )
    )
    assert reqs == [
        ImageRequirement("postgres:15", "image", services=("db", "replica")),
        ImageRequirement("redis:7", "image", services=("cache",)),
        ImageRequirement(TOXIPROXY_IMAGE, "toxiproxy"),
        ImageRequirement(MOCKSERVER_IMAGE, "mockserver", services=("payments",)),
    ]


def test_build_comes_after_the_image_its_dockerfile_starts_from(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_text("ARG BASE=python:3.12-slim\nFROM ${BASE}\nCOPY . /app\n")
    build = BuildSpec(context=tmp_path / "app", args=(("BASE", "python:3.11-slim"),))
    reqs = required_images(profile(tmp_path, Service("api", build=build), Service("db", image="postgres:15")))
    assert [r.name for r in reqs] == ["python:3.11-slim", "postgres:15", TOXIPROXY_IMAGE, "envsim-prod-like/api:latest"]
    assert reqs[0].services == ("api",)
    assert reqs[-1] == ImageRequirement("envsim-prod-like/api:latest", "build", build, ("api",))


def test_a_missing_dockerfile_adds_no_base_image(tmp_path):
    build = BuildSpec(context=tmp_path / "nowhere")
    assert [r.source for r in required_images(profile(tmp_path, Service("api", build=build)))] == ["toxiproxy", "build"]


def test_build_image_names_are_valid_docker_references():
    assert build_image_name("Prod Like", "API_v2") == "envsim-prod-like/api_v2:latest"


def test_from_lines_resolve_args_skip_stages_and_scratch():
    text = """
# syntax=docker/dockerfile:1
ARG BASE=python:3.11-slim
ARG TOOLS
FROM --platform=linux/amd64 ${BASE} AS build
RUN make \\
    all
FROM ${TOOLS:-golang:1.22} as tools
FROM build
FROM scratch
FROM $BASE
"""
    assert dockerfile_base_images(text, {}) == ["python:3.11-slim", "golang:1.22"]
    assert dockerfile_base_images(text, {"BASE": "envsim/debian:bookworm", "TOOLS": "x:1"}) == [
        "envsim/debian:bookworm",
        "x:1",
    ]


def test_quoted_arg_defaults_are_unquoted():
    assert dockerfile_base_images('ARG BASE="redis:7"\nFROM $BASE\n', {}) == ["redis:7"]


def test_build_tags_are_the_ones_the_stack_plan_runs(tmp_path):
    from envsim.plan.stack import plan_stack

    (tmp_path / "app").mkdir()
    (tmp_path / "app/Dockerfile").write_text("FROM python:3.11-slim\n")
    prof = profile(tmp_path, Service("api", build=BuildSpec(context=tmp_path / "app")), Service("db", image="redis:7"))
    for stack_name in (None, "PR 123"):
        plan = plan_stack(prof, stack_name)
        names = {r.name for r in required_images(prof, plan.stack)}
        assert {c.image for c in plan.containers} <= names
