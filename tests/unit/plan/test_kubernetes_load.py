"""The manifests of a load run in the cluster (`--load-on cluster`), from the repo's own profile
and plain data: Jobs labelled for removal, the config only as a Secret's file, no secret value."""

from __future__ import annotations

import json
import re
from pathlib import Path

from envsim.config import load_profile
from envsim.config.scenario_model import LoadSpec, LoadTask
from envsim.config.template import SecretRef, Template
from envsim.plan.kubernetes_load import (
    CONFIG_SECRET,
    MASTER_SERVICE,
    cluster_load_plan,
    cluster_target,
    load_manifests,
)
from envsim.plan.kubernetes_names import DNS_LABEL
from envsim.plan.stack import plan_stack
from envsim.run.child_config import child_config
from envsim.run.cluster_load import pod_files

REPO = Path(__file__).resolve().parents[3]
IMAGE = "envsim/locust-worker:test"
TOKEN = "s3cr3t-t0ken-value"


def stack():
    return plan_stack(load_profile(REPO / "profiles/prod-like.yaml", {}), stack_name="shop")


def jobs(manifests):
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Job"}


def test_a_runner_alone_is_one_job_reading_its_config_from_the_secret():
    manifests = load_manifests(cluster_load_plan(stack(), IMAGE, 0))
    assert [m["kind"] for m in manifests] == ["Secret", "Job"]
    (job,) = jobs(manifests).values()
    assert job["metadata"]["name"] == "envsim-load-runner"
    assert job["spec"]["backoffLimit"] == 0
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["image"] == IMAGE
    assert container["args"] == ["/etc/envsim-load/config.json", "--role", "local", "--stats-stdout"]
    assert pod["volumes"] == [{"name": "config", "secret": {"secretName": CONFIG_SECRET, "defaultMode": 0o400}}]


def test_a_master_and_workers_are_jobs_the_workers_joining_through_the_masters_service():
    manifests = load_manifests(cluster_load_plan(stack(), IMAGE, 2))
    assert [m["kind"] for m in manifests] == ["Secret", "Service", "Job", "Job", "Job"]
    found = jobs(manifests)
    assert sorted(found) == ["envsim-load-master", "envsim-load-worker-1", "envsim-load-worker-2"]
    worker = found["envsim-load-worker-2"]["spec"]["template"]["spec"]
    assert worker["containers"][0]["args"] == [
        "--role", "worker", "--master-host", MASTER_SERVICE, "--master-port", "5557", "--name", "worker-2",
    ]  # fmt: skip
    assert "volumes" not in worker  # a worker gets the config from the master, never the Secret
    service = next(m for m in manifests if m["kind"] == "Service")
    master_labels = found["envsim-load-master"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= master_labels.items()
    assert not service["spec"]["selector"].items() <= found["envsim-load-worker-1"]["metadata"]["labels"].items()


def test_every_object_carries_the_stacks_labels_and_the_load_role_in_the_stacks_namespace():
    manifests = load_manifests(cluster_load_plan(stack(), IMAGE, 1))
    for manifest in manifests:
        metadata = manifest["metadata"]
        assert metadata["namespace"] == "envsim-shop"
        assert metadata["labels"]["envsim.stack"] == "shop"
        assert metadata["labels"]["envsim.role"] == "load"
        assert re.fullmatch(DNS_LABEL, metadata["name"])
    for job in jobs(manifests).values():
        assert job["spec"]["template"]["metadata"]["labels"]["envsim.role"] == "load"


def test_the_load_targets_the_entry_points_service_which_toxiproxy_answers():
    plan = stack()
    (entry,) = plan.entry_points
    assert cluster_target(entry) == "http://api:8000"


def test_no_secret_value_is_in_the_manifests_and_the_config_reaches_the_pod_as_the_secrets_file(tmp_path):
    header = Template(("Bearer ", SecretRef("token")))
    task = LoadTask(name="home", method="GET", path="/", headers=(("Authorization", header),))
    config = child_config(
        LoadSpec(users=1, spawn_rate=1, duration=5, tasks=(task,)), "http://api:8000", {"token": TOKEN}
    )
    manifests = load_manifests(cluster_load_plan(stack(), IMAGE, 2))
    secret = next(m for m in manifests if m["kind"] == "Secret")
    assert "data" not in secret and "stringData" not in secret
    assert TOKEN not in json.dumps(manifests)
    files = pod_files(config)
    assert TOKEN in files["config.json"]  # only there, written into the Secret by the engine
    assert json.loads(files["config.json"])["report_cpu"] is True


def test_a_locustfile_travels_in_the_secret_and_the_config_names_its_mounted_path(tmp_path):
    locustfile = tmp_path / "shop.py"
    locustfile.write_text("from locust import HttpUser\n")
    config = child_config(LoadSpec(users=1, spawn_rate=1, duration=5, locustfile=locustfile), "http://api:8000", {})
    files = pod_files(config)
    assert files["locustfile.py"] == "from locust import HttpUser\n"
    assert json.loads(files["config.json"])["locustfile"] == "/etc/envsim-load/locustfile.py"
