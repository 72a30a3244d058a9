"""The pure parts of running a stack on Kubernetes, with plain data and the repo's own profiles:
which engine a command picks, image names as containerd keeps them, what is port-forwarded,
and the manifests with the cluster's image names."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from envsim.api.backends import backend_name
from envsim.config import load_profile
from envsim.engine.kubernetes.apply import IMAGES_ANNOTATION, cluster_manifests
from envsim.engine.kubernetes.images import normalized, preferred_tag, pushed_digest, registry_name
from envsim.engine.kubernetes.port_forwards import (
    DIRECT_KEY,
    SPEC_FILE,
    STUB_KEY,
    TOXIPROXY_KEY,
    Forward,
    forwarded_publish_address,
    planned_forwards,
)
from envsim.errors import EnvironmentProblem, InputError
from envsim.plan.kubernetes_manifests import ClusterImages
from envsim.plan.stack import plan_stack

REPO = Path(__file__).resolve().parents[3]


def prod_like():
    return plan_stack(load_profile(REPO / "profiles" / "prod-like.yaml", {}))


@pytest.mark.parametrize(
    ("on", "env", "expected"),
    [
        (None, {}, "docker"),
        (None, {"ENVSIM_ON": "kubernetes"}, "kubernetes"),
        ("docker", {"ENVSIM_ON": "kubernetes"}, "docker"),  # the flag wins
        ("kubernetes", {}, "kubernetes"),
        (None, {"ENVSIM_ON": " Kubernetes "}, "kubernetes"),
    ],
)
def test_the_engine_is_the_flag_else_envsim_on_else_docker(on, env, expected):
    assert backend_name(on, env) == expected


def test_an_unknown_engine_in_envsim_on_is_bad_input_naming_the_choices():
    with pytest.raises(InputError, match=r"ENVSIM_ON: unknown engine 'nomad'; choose one of: docker, kubernetes"):
        backend_name(None, {"ENVSIM_ON": "nomad"})


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("postgres:15", "docker.io/library/postgres:15"),
        ("envsim-prod-like/api:latest", "docker.io/envsim-prod-like/api:latest"),
        ("ghcr.io/shopify/toxiproxy:2.12.0", "ghcr.io/shopify/toxiproxy:2.12.0"),
        ("localhost/app:1", "localhost/app:1"),
        ("registry:5000/app:1", "registry:5000/app:1"),
        ("envsim.local/k8s/pause:v1.34.3", "envsim.local/k8s/pause:v1.34.3"),
    ],
)
def test_image_references_are_named_as_containerd_names_them(reference, expected):
    assert normalized(reference) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("postgres:15", ("127.0.0.1:5000/team/postgres", "15")),
        ("envsim-prod-like/api:latest", ("127.0.0.1:5000/team/envsim-prod-like/api", "latest")),
        ("ghcr.io/shopify/toxiproxy:2.12.0", ("127.0.0.1:5000/team/shopify/toxiproxy", "2.12.0")),
        ("docker.io/library/postgres:15", ("127.0.0.1:5000/team/library/postgres", "15")),
        # a tag naming no version, and one whose registry has a port, once split at the wrong colon
        ("redis", ("127.0.0.1:5000/team/redis", "latest")),
        ("localhost:5000/app:1", ("127.0.0.1:5000/team/app", "1")),
        ("registry:5000/app", ("127.0.0.1:5000/team/app", "latest")),
    ],
)
def test_images_pushed_to_a_registry_keep_their_path_and_tag_under_it(tag, expected):
    assert registry_name("127.0.0.1:5000/team/", tag) == expected


def test_an_image_is_named_by_a_tag_of_its_own_not_one_a_push_put_on_it():
    # seen: another envsim's push to a registry on 127.0.0.1 tagged Toxiproxy's image for a moment,
    # and a stack coming up beside it pushed 127.0.0.1:58969/envsim-test/envsim-test/envsim/toxiproxy
    pushing = ["envsim/toxiproxy:2.12.0", "127.0.0.1:58969/envsim-test/envsim/toxiproxy:2.12.0"]
    assert preferred_tag(pushing, "toxiproxy") == "envsim/toxiproxy:2.12.0"
    assert preferred_tag(["ghcr.io/shopify/toxiproxy:2.12.0", "127.0.0.1:5000/t/x:1"], "toxiproxy") == (
        "127.0.0.1:5000/t/x:1"
    )  # only registry names: the first
    assert preferred_tag(pushing, "envsim/toxiproxy:2.12.0") == "envsim/toxiproxy:2.12.0"
    assert preferred_tag([], "postgres:15") == "postgres:15"


def test_a_push_gives_the_digest_its_stream_ends_with_and_fails_on_an_error_line():
    digest = "sha256:" + "ab" * 32
    lines = [{"status": "Pushed", "id": "1a2b"}, {"status": "7: digest: ..."}, {"aux": {"Tag": "7", "Digest": digest}}]
    assert pushed_digest(lines, "r/redis:7", "r") == digest
    with pytest.raises(EnvironmentProblem, match=r"pushing r/redis:7 to r failed: connection refused"):
        pushed_digest([{"status": "Preparing"}, {"error": "connection refused"}], "r/redis:7", "r")
    with pytest.raises(EnvironmentProblem, match="reported no digest"):
        pushed_digest([{"status": "Pushed"}], "r/redis:7", "r")


def test_prod_like_forwards_the_toxiproxy_api_the_published_entry_point_and_each_service_past_toxiproxy():
    plan = prod_like()
    forwards = planned_forwards(plan)
    toxiproxy = plan.toxiproxies[0]
    first = {c.service: c.name for c in plan.containers if c.replica == 0}
    assert forwards == [
        Forward(TOXIPROXY_KEY + toxiproxy.name, "envsim-toxiproxy-0", toxiproxy.api.container_port, 0),
        Forward("api-http", "api", 8000, 0),  # the dependency's Service: through Toxiproxy, as on Docker
        # the real pods' Services, for http checks, as Docker's direct ports are
        *(
            Forward(f"{DIRECT_KEY}{first[service]}:{port}", f"envsim-upstream-{service}", number, 0)
            for service, port, number in [("api", "http", 8000), ("db", "pg", 5432), ("cache", "redis", 6379)]
        ),
    ]
    assert not any(f.key.startswith(STUB_KEY) for f in forwards)


def test_only_the_entry_point_is_forwarded_on_the_publish_address_the_apis_stay_on_loopback(tmp_path):
    plan = dataclasses.replace(prod_like(), publish_address="10.0.0.5")
    forwards = planned_forwards(plan)
    assert {f.key: f.host for f in forwards if f.host != "127.0.0.1"} == {"api-http": "10.0.0.5"}
    assert any(f.key.startswith(TOXIPROXY_KEY) for f in forwards)  # on loopback, with the direct ports

    directory = tmp_path / "stack"
    assert forwarded_publish_address(directory) == "127.0.0.1"  # nothing forwarded yet
    directory.mkdir()
    spec = {"forwards": [dataclasses.asdict(f) for f in forwards]}
    (directory / SPEC_FILE).write_text(json.dumps(spec), encoding="utf-8")
    assert forwarded_publish_address(directory) == "10.0.0.5"  # what attach and status read back
    for forward in spec["forwards"]:
        del forward["host"]  # a forwarder started before addresses could be chosen
    (directory / SPEC_FILE).write_text(json.dumps(spec), encoding="utf-8")
    assert forwarded_publish_address(directory) == "127.0.0.1"


def test_cluster_manifests_name_images_as_the_cluster_has_them_and_record_their_ids():
    plan = prod_like()
    images = ClusterImages(toxiproxy="envsim/toxiproxy:2.12.0", mockserver="", balancer="")
    references = {"postgres:15": "registry.example/library/postgres:15"}
    ids = {
        "postgres:15": "sha256:" + "a" * 64,
        "redis:7": "sha256:" + "b" * 64,
        "envsim-prod-like/api:latest": "sha256:" + "c" * 64,
        "toxiproxy": "sha256:" + "d" * 64,
    }
    manifests = cluster_manifests(plan, images, references, ids)
    templates = {
        m["metadata"]["name"]: m["spec"]["template"]
        for m in manifests
        if m["kind"] in ("Deployment", "StatefulSet", "Job")
    }
    image_of = {name: t["spec"]["containers"][0]["image"] for name, t in templates.items()}
    assert image_of == {
        "envsim-toxiproxy-0": "envsim/toxiproxy:2.12.0",
        "api": "envsim-prod-like/api:latest",
        "db": "registry.example/library/postgres:15",
        "cache": "redis:7",
        "envsim-seed-db": "registry.example/library/postgres:15",
    }
    ids_of = {name: t["metadata"]["annotations"][IMAGES_ANNOTATION] for name, t in templates.items()}
    # a rebuilt image changes the pod template, so `up` again rolls the pods onto it
    assert ids_of["api"] == "c" * 12
    assert ids_of["db"] == ids_of["envsim-seed-db"] == "a" * 12
    assert ids_of["envsim-toxiproxy-0"] == "d" * 12
