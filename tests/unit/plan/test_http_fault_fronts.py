"""HTTP faults on real services: the HAProxy front the plan puts in front, and its configuration."""

from dataclasses import replace
from pathlib import Path

from envsim.config.fault_kinds.http import HttpErrorFault, HttpFaultStep
from envsim.config.fault_model import FailureMode
from envsim.config.profile_model import HealthCheck, Profile, Service
from envsim.plan.balancers import FrontFault
from envsim.plan.faults import plan_faults
from envsim.plan.haproxy_config import FAULT_MAP, fault_map, render_haproxy_config
from envsim.plan.render import stack_to_dict, stack_to_text
from envsim.plan.stack import UPSTREAM_PREFIX, plan_stack

ROOT = Path("/repo")
WEB = Service(name="web", image="web:1", ports=(("http", 8080),), health=HealthCheck(kind="http", path="/healthz"))
PAY = Service(name="pay", image="pay:1", ports=(("http", 9000),))


def _profile(*modes: FailureMode, services: tuple[Service, ...] = (WEB, PAY)) -> Profile:
    return Profile(name="p", source=ROOT / "profiles/p.yaml", root=ROOT, services=services, failure_modes=modes)


FLAKY = FailureMode("web-flaky", "web", (HttpErrorFault(((503, 0.1),), retry_after=2.0),))
SLOW = FailureMode("web-slow", "web", (HttpErrorFault((), delay=0.3),))


def test_a_real_service_with_an_http_fault_gets_an_haproxy_front_holding_it():
    plan = plan_stack(_profile(FLAKY, SLOW))
    (front,) = plan.balancers
    assert (front.service, front.alias, front.replicas) == ("web", f"{UPSTREAM_PREFIX}web", ("envsim-p-web-0",))
    assert [f.switch for f in front.faults] == ["web-flaky", "web-slow"]
    assert front.api_port == 9999
    # the service answers under its replica name; the front takes the name Toxiproxy forwards to
    assert plan.containers_of("web")[0].aliases == ("envsim-replica-web",)
    assert plan.containers_of("pay")[0].aliases == (f"{UPSTREAM_PREFIX}pay",)  # no fault, no front
    steps = {f.name: f.steps for f in plan_faults(plan, _profile(FLAKY, SLOW))}
    assert steps["web-flaky"] == (HttpFaultStep(FLAKY.effects[0], (), (), (front.name,), "web-flaky"),)
    assert "web-flaky, web-slow  runtime api 127.0.0.1:free->9999" in stack_to_text(plan)
    assert stack_to_dict(plan)["haproxies"][0]["http_faults"] == ["web-flaky", "web-slow"]


def test_no_http_fault_on_a_real_service_means_no_front():
    assert plan_stack(_profile()).balancers == ()


def test_the_runtime_api_moves_aside_when_the_service_listens_on_its_port():
    odd = replace(WEB, ports=(("http", 9999),))
    (front,) = plan_stack(_profile(FLAKY, services=(odd,))).balancers
    assert front.api_port == 9998


def test_replicas_balanced_per_request_keep_one_haproxy_that_also_holds_the_faults():
    plan = plan_stack(_profile(FLAKY, services=(replace(WEB, replicas=2),)))
    (front,) = plan.balancers
    assert front.replicas == ("envsim-p-web-0", "envsim-p-web-1") and front.faults


def test_the_configuration_switches_each_failure_mode_by_its_map_entry():
    drops = FailureMode("web-drops", "web", (HttpErrorFault(((500, 0.2),), drop=0.4),))
    (front,) = plan_stack(_profile(FLAKY, SLOW, drops)).balancers
    config = render_haproxy_config(front)
    assert "stats socket ipv4@0.0.0.0:9999 level admin" in config
    assert f"acl fault_0 str(web-flaky),map({FAULT_MAP},off) -m str on" in config
    assert (
        'http-request return status 503 content-type text/plain string "envsim fault web-flaky" '
        "hdr Retry-After 2 if fault_0 { rand(1000000) lt 100000 }"
    ) in config
    # a drop is a share of all requests: among the 80% not answered 500, half of the rest
    assert "http-request reject if fault_2 { rand(1000000) lt 500000 }" in config
    assert "use_backend delay_1_8080 if fault_1" in config
    assert "tcp-request inspect-delay 300ms" in config
    assert "server envsim-p-web-0 envsim-p-web-0:8080 resolvers engine" in config
    assert fault_map(front) == "web-flaky off\nweb-slow off\nweb-drops off\n"


def test_an_outage_answers_every_request():
    outage = FailureMode("web-out", "web", (HttpErrorFault((), outage=True),))
    front = plan_stack(_profile(outage)).balancers[0]
    assert front.faults == (FrontFault("web-out", outage.effects[0]),)
    assert (
        'http-request return status 503 content-type text/plain string "envsim fault web-out" if fault_0\n'
        in render_haproxy_config(front)
    )


def test_the_kubernetes_manifests_leave_out_an_haproxy_that_is_there_only_for_faults():
    from envsim.plan.kubernetes_manifests import ClusterImages, render_manifests

    images = ClusterImages(toxiproxy="toxiproxy:test", mockserver="mockserver:test", balancer="balancer:test")
    manifests = render_manifests(plan_stack(_profile(FLAKY)), images)
    workloads = {(m["kind"], m["metadata"]["name"]) for m in manifests if m["kind"] in ("Deployment", "StatefulSet")}
    assert ("Deployment", "web") in workloads
    assert not any("balancer" in name for _, name in workloads)
    balanced = render_manifests(plan_stack(_profile(FLAKY, services=(replace(WEB, replicas=2),))), images)
    assert any(m["metadata"]["name"] == "envsim-balancer-web" for m in balanced)
