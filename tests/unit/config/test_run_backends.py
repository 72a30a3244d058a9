"""What a run cannot do on Kubernetes is refused while the scenario loads, located where the
scenario asks for it (exit 2), so nothing is started: pause, load.cpus, and rotating
credentials kept in files near the root. The profile itself stays valid there (`up` takes it); Docker takes
every one of them. Link and DNS faults and HTTP faults on real services are refused in the
profile already, where they are written (test_backends.py)."""

from __future__ import annotations

from config_helpers import run_envsim, write

PROFILE = """
envsim: 1
name: p
services:
  api: {image: app:1, ports: {http: 8000}, publish: [http], depends_on: [cache, pay]}
  cache: {image: "redis:7", ports: {redis: 6379}}
  pay: {stub: {routes: [{method: GET, path: /x, status: 200}]}, ports: {http: 1080}}
failure_modes:
  cache-slow: {target: cache, latency: 300ms}
  api-pause: {target: api, container: pause}
  api-stop: {target: api, container: stop}
  pay-errors: {target: pay, http_errors: {503: 50%}}
"""

SCENARIO = """
envsim: 1
name: s
profile: p
load:
  target: api
  users: 1
  duration: 30s
  cpus: [0]
  tasks: [{name: home, request: "GET /"}]
timeline:
  - {at: 1s, for: 1s, fault: cache-slow}
  - {at: 3s, for: 1s, fault: api-pause}
  - {at: 5s, for: 1s, fault: api-stop}
  - {at: 7s, for: 1s, fault: pay-errors}
"""


def test_a_run_on_kubernetes_refuses_what_it_cannot_do_where_the_scenario_asks_for_it(repo, monkeypatch):
    write(repo, "profiles/p.yaml", PROFILE)
    write(repo, "scenarios/s.yaml", SCENARIO)
    monkeypatch.chdir(repo)
    assert run_envsim(["validate", "scenarios/s.yaml"], monkeypatch)[0] == 0
    assert run_envsim(["validate", "--backend", "kubernetes", "profiles/p.yaml"], monkeypatch)[0] == 0
    code, out, err = run_envsim(["validate", "--backend", "kubernetes", "scenarios/s.yaml"], monkeypatch)
    lines = err.splitlines()
    assert (code, out, lines[-1]) == (2, "", "2 problems found")
    located = [line.split(": ", 2)[:2] for line in lines[:-1]]
    assert located == [
        ["scenarios/s.yaml:8:3", "load.cpus"],
        ["scenarios/s.yaml:12:30", "timeline[1].fault"],
    ]
    assert "failure mode api-pause: `container: pause` is not supported on Kubernetes" in lines[1]
    assert "pinning the load generator and the stack to cores" in lines[0]
    assert "Traceback" not in err


def _rotating_file_repo(repo, path: str) -> None:
    profile = (
        PROFILE.replace("  cache: {", f"  worker: {{image: app:1, secret_files: {{tok: {path}}}}}\n  cache: {{")
        + "credentials:\n  tok: {generate: token, ttl: 10s}\n"
    )
    write(repo, "profiles/p.yaml", profile)
    write(
        repo,
        "scenarios/s.yaml",
        SCENARIO.split("  cpus: [0]\n")[0] + SCENARIO.split("  cpus: [0]\n")[1].split("timeline:")[0],
    )


def test_a_rotating_credential_in_a_file_near_the_root_is_refused_for_a_run_on_kubernetes(repo, monkeypatch):
    _rotating_file_repo(repo, "/run/tok")
    monkeypatch.chdir(repo)
    assert run_envsim(["validate", "scenarios/s.yaml"], monkeypatch)[0] == 0
    code, _, err = run_envsim(["validate", "--backend", "kubernetes", "scenarios/s.yaml"], monkeypatch)
    assert code == 2
    assert err.splitlines()[0].startswith(
        "scenarios/s.yaml:3:10: profile: credential tok at /run/tok (worker) rotates (ttl) and is mounted as a "
        "file in a directory near the root"
    )
    assert "such as /run/secrets/NAME" in err


def test_a_rotating_credential_in_a_directory_of_its_own_rotates_on_kubernetes(repo, monkeypatch):
    _rotating_file_repo(repo, "/run/secrets/tok")
    monkeypatch.chdir(repo)
    code, out, err = run_envsim(["validate", "--backend", "kubernetes", "scenarios/s.yaml"], monkeypatch)
    assert code == 0, err


def test_run_on_kubernetes_refuses_before_it_looks_for_a_cluster_alone_or_as_a_gate(repo, monkeypatch):
    write(repo, "profiles/p.yaml", PROFILE)
    write(repo, "scenarios/s.yaml", SCENARIO)
    write(repo, "scenarios/t.yaml", SCENARIO.replace("name: s", "name: t"))
    monkeypatch.chdir(repo)
    nowhere = ["--on", "kubernetes", "--kubeconfig", str(repo / "no-such-kubeconfig")]
    for scenarios in (["scenarios/s.yaml"], ["scenarios/s.yaml", "scenarios/t.yaml"]):
        code, _, err = run_envsim(["run", *scenarios, *nowhere], monkeypatch)
        assert code == 2, err  # bad input, told before the missing cluster (exit 3) could be
        assert "scenarios/s.yaml:12:30: timeline[1].fault: failure mode api-pause:" in err
        assert "no Kubernetes cluster" not in err


def test_workers_in_containers_are_refused_for_a_run_on_kubernetes(repo, monkeypatch):
    write(repo, "profiles/p.yaml", PROFILE)
    write(repo, "scenarios/s.yaml", SCENARIO.replace("  cpus: [0]\n", "").split("timeline:")[0])
    monkeypatch.chdir(repo)
    nowhere = ["--on", "kubernetes", "--kubeconfig", str(repo / "no-such-kubeconfig")]
    code, _, err = run_envsim(
        ["run", "scenarios/s.yaml", "--workers", "2", "--workers-on", "docker", *nowhere], monkeypatch
    )
    assert code == 2, err
    assert "--workers-on docker: load workers in containers join the stack's Docker network" in err


def test_load_in_the_cluster_is_refused_where_the_stack_is_not_on_one(repo, monkeypatch):
    write(repo, "profiles/p.yaml", PROFILE)
    write(repo, "scenarios/s.yaml", SCENARIO.replace("  cpus: [0]\n", "").split("timeline:")[0])
    monkeypatch.chdir(repo)
    code, out, err = run_envsim(["run", "scenarios/s.yaml", "--on", "docker", "--load-on", "cluster"], monkeypatch)
    assert (code, out) == (2, ""), err
    assert "--load-on cluster: the load runs in the cluster only when the stack does: add --on kubernetes" in err
    nowhere = ["--on", "kubernetes", "--kubeconfig", str(repo / "no-such-kubeconfig")]
    code, _, err = run_envsim(
        ["run", "scenarios/s.yaml", "--load-on", "cluster", "--workers", "2", "--workers-on", "remote", *nowhere],
        monkeypatch,
    )
    assert code == 2, err  # told before the missing cluster (exit 3) could be
    assert "--load-on cluster: with --load-on cluster the master and its workers run as pods" in err
    assert "Traceback" not in err
