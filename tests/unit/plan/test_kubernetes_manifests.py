"""`envsim plan --format kubernetes`: manifests from a StackPlan, checked as the apiserver and the
Docker engine's meaning would check them, with plain data and the repo's own profiles."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from envsim.config import load_profile
from envsim.config.loader import validate_files
from envsim.config.profile_model import Credential, HealthCheck, Service, StubRoute, StubSpec
from envsim.config.template import SecretRef, Template
from envsim.plan.kubernetes_manifests import ClusterImages, render_manifests
from envsim.plan.kubernetes_names import DNS_1035_LABEL, DNS_LABEL, LABEL_VALUE
from envsim.plan.kubernetes_seed_jobs import seed_file_paths
from envsim.plan.kubernetes_yaml import manifests_to_yaml
from envsim.plan.stack import plan_stack

REPO = Path(__file__).resolve().parents[3]
IMAGES = ClusterImages(toxiproxy="toxiproxy:test", mockserver="mockserver:test", balancer="balancer:test")
WORKLOADS = ("Deployment", "StatefulSet")


def render(plan):
    seeds = {path: f"-- the text of {path.name}\nselect 1;\n" for path in seed_file_paths(plan)}
    return render_manifests(plan, IMAGES, seeds)


def of_kind(manifests, kind):
    return [m for m in manifests if m["kind"] == kind]


def named(manifests, kind, name):
    (found,) = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    return found


def pod_spec(manifest):
    return manifest["spec"]["template"]["spec"]


def containers(manifests):
    return [c for m in manifests if m["kind"] in (*WORKLOADS, "Job") for c in pod_spec(m)["containers"]]


def _structural_problems(manifests) -> list[str]:
    (namespace,) = of_kind(manifests, "Namespace")
    problems = []
    seen = set()
    for m in manifests:
        name = m.get("metadata", {}).get("name", "")
        where = f"{m.get('kind')} {name}"
        if not (m.get("apiVersion") and m.get("kind") and name):
            problems.append(f"{where}: apiVersion, kind and metadata.name needed")
        pattern = DNS_1035_LABEL if m["kind"] == "Service" else DNS_LABEL
        if not pattern.match(name):
            problems.append(f"{where}: not a valid name")
        if m is not namespace and m["metadata"].get("namespace") != namespace["metadata"]["name"]:
            problems.append(f"{where}: outside the stack's namespace")
        if (m["kind"], name) in seen:
            problems.append(f"{where}: twice")
        seen.add((m["kind"], name))
        for key, value in m["metadata"].get("labels", {}).items():
            if not LABEL_VALUE.match(value):
                problems.append(f"{where}: label {key}={value!r} is not a valid label value")
    return problems


def _reference_problems(manifests) -> list[str]:
    problems = []
    pods = [m["spec"]["template"]["metadata"]["labels"] for m in manifests if m["kind"] in WORKLOADS]
    for service in of_kind(manifests, "Service"):
        selector = service["spec"]["selector"].items()
        if not any(selector <= labels.items() for labels in pods):
            problems.append(f"Service {service['metadata']['name']} selects no workload")
    for workload in (m for m in manifests if m["kind"] in WORKLOADS):
        template = workload["spec"]["template"]["metadata"]["labels"]
        if not workload["spec"]["selector"]["matchLabels"].items() <= template.items():
            problems.append(f"{workload['metadata']['name']}: its selector misses its own pods")
    secrets = {m["metadata"]["name"] for m in of_kind(manifests, "Secret")}
    config_maps = {m["metadata"]["name"] for m in of_kind(manifests, "ConfigMap")}
    for container in containers(manifests):
        for entry in container.get("env", []):
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] not in secrets:
                problems.append(f"{container['name']}: env {entry['name']} names Secret {ref['name']}, not rendered")
    for m in manifests:
        if m["kind"] in (*WORKLOADS, "Job"):
            for volume in pod_spec(m).get("volumes", []):
                if "secret" in volume and volume["secret"]["secretName"] not in secrets:
                    problems.append(f"{m['metadata']['name']}: volume of a Secret not rendered")
                if "configMap" in volume and volume["configMap"]["name"] not in config_maps:
                    problems.append(f"{m['metadata']['name']}: volume of a ConfigMap not rendered")
    return problems


def _repo_profiles():
    """The repo's profiles Kubernetes can realise (the others are refused, located: test_backends.py)."""
    return [p for p in sorted((REPO / "profiles").glob("*.yaml")) if not validate_files([p], {}, "kubernetes").problems]


def test_the_repo_profiles_kubernetes_refuses_are_only_the_network_ones():
    refused = {p.stem for p in (REPO / "profiles").glob("*.yaml")} - {p.stem for p in _repo_profiles()}
    assert refused == {"network", "network-namespace"}


@pytest.mark.parametrize("path", _repo_profiles(), ids=lambda p: p.stem)
def test_every_profile_renders_valid_self_consistent_manifests(path):
    manifests = render(plan_stack(load_profile(path, {})))
    assert _structural_problems(manifests) == []
    assert _reference_problems(manifests) == []
    assert manifests[0]["kind"] == "Namespace"


def test_the_checks_above_catch_a_service_that_selects_nothing_and_a_missing_secret(profile):
    manifests = render(plan_stack(profile))
    named(manifests, "Service", "db")["spec"]["selector"]["envsim.role"] = "nobody"
    manifests = [m for m in manifests if m["kind"] != "Secret"]
    problems = _reference_problems(manifests)
    assert "Service db selects no workload" in problems
    assert any("names Secret envsim-credentials, not rendered" in p for p in problems)


def test_one_namespace_per_stack_and_every_object_carries_the_stack_labels(profile):
    manifests = render(plan_stack(profile, stack_name="PR 123"))
    assert named(manifests, "Namespace", "envsim-pr-123")
    for m in manifests:
        assert m["metadata"]["labels"]["envsim.stack"] == "pr-123"
        assert m["metadata"]["labels"]["envsim.profile"] == "prod-like"


def test_a_dependency_name_answers_through_toxiproxy_which_forwards_to_the_real_pods(profile):
    manifests = render(plan_stack(profile))
    db = named(manifests, "Service", "db")
    toxiproxy = named(manifests, "Deployment", "envsim-toxiproxy-0")
    assert db["spec"]["selector"].items() <= toxiproxy["spec"]["template"]["metadata"]["labels"].items()
    assert db["spec"]["ports"] == [{"name": "pg", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]
    proxies = yaml.safe_load(named(manifests, "ConfigMap", "envsim-toxiproxy-0")["data"]["proxies.json"])
    db_proxy = {"name": "db-pg", "listen": "0.0.0.0:5432", "upstream": "envsim-upstream-db:5432", "enabled": True}
    assert db_proxy in proxies
    upstream = named(manifests, "Service", "envsim-upstream-db")
    real_db = named(manifests, "Deployment", "db")
    assert upstream["spec"]["selector"].items() <= real_db["spec"]["template"]["metadata"]["labels"].items()
    assert upstream["spec"]["ports"][0]["port"] == 5432
    # the proxy pod listens on every port a Service sends it to
    listening = {p["containerPort"] for p in pod_spec(toxiproxy)["containers"][0]["ports"]}
    assert {
        p["targetPort"]
        for s in of_kind(manifests, "Service")
        if s["metadata"].get("annotations", {}).get("envsim.interposer") == "envsim-toxiproxy-0"
        for p in s["spec"]["ports"]
    } <= listening
    # a service without ports is reached by nobody: no Service of its own, as on Docker
    assert not [s for s in of_kind(manifests, "Service") if "worker" in s["metadata"]["name"]]


def test_published_ports_are_annotated_for_a_loopback_forward_not_exposed(profile):
    services = of_kind(render(plan_stack(profile)), "Service")
    assert named(services, "Service", "api")["metadata"]["annotations"]["envsim.publish"] == "http=127.0.0.1:free"
    assert all(s["spec"].get("type", "ClusterIP") == "ClusterIP" for s in services)


def test_secrets_are_references_and_no_value_is_printed(profile, tmp_path):
    sentinel = "s3cr3t-from-the-callers-env"
    profile = replace(
        profile,
        credentials=profile.credentials
        + (Credential(name="api_key", generate="value", value=Template.literal(sentinel)),),
    )
    api = profile.services[0]
    api = replace(
        api,
        env=api.env + (("API_KEY", Template((SecretRef("api_key"),))), ("PRICE", Template.literal("$(HOME) costs $5"))),
        secret_files=(("api_key", "/run/secrets/api_key"),),
    )
    plan = plan_stack(replace(profile, services=(api, *profile.services[1:])))
    manifests = render(plan)
    text = manifests_to_yaml(plan, manifests)
    assert sentinel not in text
    (secret,) = of_kind(manifests, "Secret")
    assert "data" not in secret and "stringData" not in secret
    assert "api_key" in secret["metadata"]["annotations"]["envsim.credentials"]
    env = pod_spec(named(manifests, "StatefulSet", "api"))["containers"][0]["env"]
    by_name = {e["name"]: e for e in env}
    assert by_name["API_KEY"] == {
        "name": "API_KEY",
        "valueFrom": {"secretKeyRef": {"name": "envsim-credentials", "key": "api_key"}},
    }
    # a credential inside a longer value: a helper variable, defined before its use
    assert by_name["DATABASE_URL"]["value"] == "postgresql://app:$(ENVSIM_SECRET_db_password)@db:5432/shop"
    names = [e["name"] for e in env]
    assert names.index("ENVSIM_SECRET_db_password") < names.index("DATABASE_URL")
    # a literal `$(` is escaped so Kubernetes does not expand it
    assert by_name["PRICE"]["value"] == "$$(HOME) costs $$5"
    mount = pod_spec(named(manifests, "StatefulSet", "api"))["containers"][0]["volumeMounts"][0]
    assert mount == {
        "name": "envsim-credentials",
        "mountPath": "/run/secrets/api_key",
        "subPath": "api_key",
        "readOnly": True,
    }


@pytest.mark.parametrize("path", _repo_profiles(), ids=lambda p: p.stem)
def test_readiness_probes_mirror_health(path):
    plan = plan_stack(load_profile(path, {}))
    manifests = render(plan)
    for service in {c.service for c in plan.containers}:
        container = plan.containers_of(service)[0]
        workload = [
            m
            for m in manifests
            if m["kind"] in WORKLOADS
            and m["metadata"]["labels"].get("envsim.role") == "service"
            and m["metadata"]["labels"].get("envsim.service") == service
        ]
        probe = pod_spec(workload[0])["containers"][0].get("readinessProbe")
        check = container.health
        if check is None:
            assert probe is None
            continue
        assert probe["periodSeconds"] == max(1, -(-check.interval // 1))
        assert probe["timeoutSeconds"] == max(1, -(-check.timeout // 1))
        ports = {p.name: p.container_port for p in container.ports}
        port = ports.get(check.port) or container.ports[0].container_port if check.kind != "cmd" else None
        expected = {
            "cmd": {"exec": {"command": list(check.command)}},
            "http": {"httpGet": {"path": check.path or "/", "port": port}},
            "tcp": {"tcpSocket": {"port": port}},
        }[check.kind]
        assert {k: v for k, v in probe.items() if k in ("exec", "httpGet", "tcpSocket")} == expected
        if workload[0]["kind"] == "Deployment":
            assert workload[0]["spec"]["progressDeadlineSeconds"] == round(check.start_period)


def test_replicas_behind_a_request_balancer_have_names_of_their_own(profile):
    manifests = render(plan_stack(profile))
    api = named(manifests, "StatefulSet", "api")
    assert api["spec"]["replicas"] == 2 and api["spec"]["serviceName"] == "envsim-replica-api"
    headless = named(manifests, "Service", "envsim-replica-api")
    assert headless["spec"]["clusterIP"] == "None"
    balancer = named(manifests, "Deployment", "envsim-balancer-api")
    args = pod_spec(balancer)["containers"][0]["args"]
    assert args == [
        "8000",
        "api-0.envsim-replica-api.envsim-prod-like.svc.cluster.local",
        "api-1.envsim-replica-api.envsim-prod-like.svc.cluster.local",
    ]
    upstream = named(manifests, "Service", "envsim-upstream-api")
    assert upstream["spec"]["selector"].items() <= balancer["spec"]["template"]["metadata"]["labels"].items()


def test_stub_runs_mockserver_behind_the_declared_port(profile):
    stub = Service(name="payments", stub=StubSpec(routes=(StubRoute("GET", "/v1/charges"),)), ports=(("http", 8080),))
    manifests = render(plan_stack(replace(profile, services=profile.services + (stub,))))
    container = pod_spec(named(manifests, "Deployment", "payments"))["containers"][0]
    assert container["image"] == "mockserver:test"
    assert container["readinessProbe"]["tcpSocket"] == {"port": 1080}
    assert named(manifests, "Service", "payments")["spec"]["ports"][0]["port"] == 8080
    assert named(manifests, "Service", "envsim-upstream-payments")["spec"]["ports"][0]["port"] == 1080


def test_seed_steps_run_as_a_job_over_the_real_service(profile):
    plan = plan_stack(profile)
    manifests = render(plan)
    job = named(manifests, "Job", "envsim-seed-db")
    env = {e["name"]: e for e in pod_spec(job)["containers"][0]["env"]}
    assert env["PGHOST"]["value"] == "envsim-upstream-db"
    assert env["PGPASSWORD"]["value"] == "$(POSTGRES_PASSWORD)"
    assert job["spec"]["backoffLimit"] == 0
    sql = named(manifests, "ConfigMap", "envsim-seed-db")["data"]
    assert sql["step-01.sql"] == plan.seeds[0].steps[0].sql


def test_resources_are_requests_and_limits(profile):
    api = replace(profile.services[0], resources=replace(profile.services[0].resources, cpus=0.5, memory=256 * 2**20))
    manifests = render(plan_stack(replace(profile, services=(api, *profile.services[1:]))))
    resources = pod_spec(named(manifests, "StatefulSet", "api"))["containers"][0]["resources"]
    assert resources == {
        "limits": {"cpu": "500m", "memory": "268435456"},
        "requests": {"cpu": "500m", "memory": "268435456"},
    }


def test_names_kubernetes_would_refuse_are_made_valid_without_collisions(profile):
    odd = [
        Service(name=name, image="redis:7", ports=(("redis_port", 6379),), health=HealthCheck(kind="tcp"))
        for name in ("9lives", "my_cache", "my-cache")
    ]
    plan = plan_stack(replace(profile, name="Team_A", services=profile.services + tuple(odd)))
    manifests = render(plan)
    assert _structural_problems(manifests) == []
    assert _reference_problems(manifests) == []
    service_names = [m["metadata"]["name"] for m in of_kind(manifests, "Service")]
    assert "my-cache" in service_names and any(re.match(r"my-cache-[0-9a-f]{6}$", n) for n in service_names)


def test_the_stream_parses_back_to_the_same_manifests(profile):
    plan = plan_stack(profile)
    manifests = render(plan)
    text = manifests_to_yaml(plan, manifests)
    assert list(yaml.safe_load_all(text)) == manifests
    assert "&id" not in text  # no anchors: each document stands alone


def test_running_for_is_no_probe_but_the_workloads_min_ready_seconds(tmp_path):
    (tmp_path / ".git").mkdir()
    path = tmp_path / "p.yaml"
    path.write_text("envsim: 1\nservices:\n  worker: {image: 'worker:1', health: {running_for: 2.5s}}\n")
    worker = named(render(plan_stack(load_profile(path, {}))), "Deployment", "worker")
    assert "readinessProbe" not in pod_spec(worker)["containers"][0]
    assert worker["spec"]["minReadySeconds"] == 3
