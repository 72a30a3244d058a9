"""Per-link faults and partitions have no counterpart in the Kubernetes manifests: validate
--backend kubernetes and plan --format kubernetes refuse them, located; Docker takes them."""

from __future__ import annotations

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


def test_validate_for_kubernetes_refuses_links_where_they_are_written(repo, monkeypatch):
    write(repo, "profiles/p.yaml", PROFILE)
    monkeypatch.chdir(repo)
    assert run_envsim(["validate", "profiles/p.yaml"], monkeypatch)[0] == 0
    code, out, err = run_envsim(["validate", "--backend", "kubernetes", "profiles/p.yaml"], monkeypatch)
    assert (code, out, err.splitlines()) == (2, "", REFUSED)


def test_plan_as_kubernetes_manifests_refuses_links_and_renders_without_them(repo, monkeypatch):
    write(repo, "profiles/p.yaml", PROFILE)
    monkeypatch.chdir(repo)
    code, out, err = run_envsim(["plan", "profiles/p.yaml", "--format", "kubernetes"], monkeypatch)
    assert (code, out, err.splitlines()) == (2, "", REFUSED)
    assert "Traceback" not in err
    write(repo, "profiles/p.yaml", PROFILE.split("  cache-slow-for-worker")[0])
    code, out, _ = run_envsim(["plan", "profiles/p.yaml", "--format", "kubernetes"], monkeypatch)
    assert code == 0 and "kind: Deployment" in out
