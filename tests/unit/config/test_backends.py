"""Per-link faults and partitions have no counterpart in the Kubernetes manifests: validate
--backend kubernetes and plan --format kubernetes refuse them, located; Docker takes them."""

from __future__ import annotations

from pathlib import Path

from config_helpers import run_envsim, write

PROFILE = """
envsim: 1
services:
  api: {image: app:1, ports: {http: 8000}, depends_on: [cache]}
  worker: {image: app:1, depends_on: [cache]}
  cache: {image: "redis:7", ports: {redis: 6379}}
failure_modes:
  cache-slow: {target: cache, latency: 300ms}
  cache-slow-for-worker: {target: cache, from: [worker], latency: 300ms}
  split: {partition: {between: [api, cache]}}
"""

REFUSED = [
    "profiles/p.yaml:8:42: failure_modes.cache-slow-for-worker.from: per-link faults are not supported on "
    "Kubernetes (a Service answers every client alike); drop 'from' to fault every client's traffic, or run "
    "this failure mode on Docker",
    "profiles/p.yaml:9:11: failure_modes.split.partition: partitions are not supported on Kubernetes (they act "
    "on per-client links); run this failure mode on Docker",
    "2 problems found",
]


def validated_for_kubernetes(repo, monkeypatch, profile: str) -> tuple[int, str, list[str]]:
    """validate --backend kubernetes of the profile, which Docker accepts."""
    write(repo, "profiles/p.yaml", profile)
    monkeypatch.chdir(repo)
    assert run_envsim(["validate", "profiles/p.yaml"], monkeypatch)[0] == 0
    code, out, err = run_envsim(["validate", "--backend", "kubernetes", "profiles/p.yaml"], monkeypatch)
    return code, out, err.splitlines()


def test_validate_for_kubernetes_refuses_links_where_they_are_written(repo, monkeypatch):
    assert validated_for_kubernetes(repo, monkeypatch, PROFILE) == (2, "", REFUSED)


def test_plan_as_kubernetes_manifests_refuses_links_and_renders_without_them(repo, monkeypatch):
    write(repo, "profiles/p.yaml", PROFILE)
    monkeypatch.chdir(repo)
    code, out, err = run_envsim(["plan", "profiles/p.yaml", "--format", "kubernetes"], monkeypatch)
    assert (code, out, err.splitlines()) == (2, "", REFUSED)
    assert "Traceback" not in err
    write(repo, "profiles/p.yaml", PROFILE.split("  cache-slow-for-worker")[0])
    code, out, _ = run_envsim(["plan", "profiles/p.yaml", "--format", "kubernetes"], monkeypatch)
    assert code == 0 and "kind: Deployment" in out


NAMESPACE_AND_FRONT_FAULTS = """
envsim: 1
services:
  api: {image: app:1, ports: {http: 8000}, depends_on: [cache, payments]}
  cache: {image: "redis:7", ports: {redis: 6379}}
  payments:
    stub: {port: 8080, routes: [{method: GET, path: /v1/charges}]}
failure_modes:
  lossy: {target: api, packet_loss: 10%}
  narrow: {target: api, link_bandwidth: 1mbit}
  unresolvable: {target: api, dns: {name: cache, answer: nxdomain}}
  slow-lookup: {target: api, dns: {name: cache, delay: 1s}}
  api-flaky: {target: api, http_errors: {503: 10%}, retry_after: 1s}
  api-slow: {target: api, delay: 300ms}
  api-drops: {target: api, drop: 5%}
  api-outage: {target: api, outage: true}
  payments-flaky: {target: payments, http_errors: {503: 10%}}
  payments-outage: {target: payments, outage: true}
  cache-slow: {target: cache, latency: 300ms}
"""

REAL_HTTP = (
    "HTTP faults on a real service are not supported on Kubernetes (they live in the HAProxy front envsim "
    "puts before it on Docker); fault a stub, or run this failure mode on Docker"
)
NAMESPACE_AND_FRONT_REFUSED = [
    "profiles/p.yaml:8:24: failure_modes.lossy.packet_loss: packet loss is not supported on Kubernetes (a helper "
    "in the container's network namespace switches it on Docker); use Toxiproxy's faults on the target, or run "
    "this failure mode on Docker",
    "profiles/p.yaml:9:25: failure_modes.narrow.link_bandwidth: link bandwidth is not supported on Kubernetes "
    "(a helper in the container's network namespace switches it on Docker); use Toxiproxy's 'bandwidth' on the "
    "target, or run this failure mode on Docker",
    "profiles/p.yaml:10:31: failure_modes.unresolvable.dns: DNS faults are not supported on Kubernetes (a helper "
    "in the container's network namespace answers for the name on Docker); run this failure mode on Docker",
    "profiles/p.yaml:11:30: failure_modes.slow-lookup.dns: DNS faults are not supported on Kubernetes (a helper "
    "in the container's network namespace answers for the name on Docker); run this failure mode on Docker",
    f"profiles/p.yaml:12:28: failure_modes.api-flaky.http_errors: {REAL_HTTP}",
    f"profiles/p.yaml:13:27: failure_modes.api-slow.delay: {REAL_HTTP}",
    f"profiles/p.yaml:14:28: failure_modes.api-drops.drop: {REAL_HTTP}",
    f"profiles/p.yaml:15:29: failure_modes.api-outage.outage: {REAL_HTTP}",
    "8 problems found",
]


def test_validate_for_kubernetes_refuses_link_dns_and_real_http_faults_where_written(repo, monkeypatch):
    """Stubs' HTTP faults and Toxiproxy's work on Kubernetes; the rest is refused, located."""
    refused = validated_for_kubernetes(repo, monkeypatch, NAMESPACE_AND_FRONT_FAULTS)
    assert refused == (2, "", NAMESPACE_AND_FRONT_REFUSED)


def test_the_example_profiles_without_network_namespace_faults_are_valid_on_kubernetes(monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[3])
    for profile in ("prod-like", "payments", "base", "payments-provider"):
        code, _, err = run_envsim(["validate", "--backend", "kubernetes", f"profiles/{profile}.yaml"], monkeypatch)
        assert code == 0, err
    code, _, err = run_envsim(["validate", "--backend", "kubernetes", "profiles/network-namespace.yaml"], monkeypatch)
    assert code == 2 and "profiles/network-namespace.yaml:10:" in err and "5 problems found" in err
