"""A stack's seeding as Kubernetes objects: the SQL in a ConfigMap, psql in a Job.

The Job runs once `envsim up` finds the database ready, as the seeding on Docker does
(`envsim.engine.seeding`), over the network to the real service rather than its socket.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from envsim.plan.kubernetes_names import dns_label
from envsim.plan.kubernetes_objects import Manifest, StackNamespace, pod_labels, upstream_service_name
from envsim.plan.kubernetes_pods import env_entries
from envsim.plan.seed import SeedPlan, SeedStepPlan
from envsim.plan.stack import ROLE_LABEL, SERVICE_LABEL, StackPlan

SEED_DIR = "/envsim/seed"


def _seed_name(seed: SeedPlan) -> str:
    return dns_label(f"envsim-seed-{seed.service}")


def _step_sql(step: SeedStepPlan, seed_files: Mapping[Path, str]) -> str:
    if step.sql is not None:
        return step.sql
    assert step.file is not None, "a seed step is generated SQL or a file"
    return seed_files[step.file]


def seed_config(stack: StackNamespace, seed: SeedPlan, seed_files: Mapping[Path, str]) -> Manifest:
    data = {f"step-{index:02d}.sql": _step_sql(step, seed_files) for index, step in enumerate(seed.steps, start=1)}
    labels = ((ROLE_LABEL, "seed"), (SERVICE_LABEL, seed.service))
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": stack.metadata(_seed_name(seed), labels), "data": data}


# psql as the seeding on Docker runs it (envsim.engine.seeding), over the network to the real
# service instead of its socket; PGPASSWORD comes from the service's own POSTGRES_PASSWORD.
_SEED_SCRIPT = (
    'set -eu; export PGUSER="${POSTGRES_USER:-postgres}" PGDATABASE="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"; '
    "until pg_isready -q; do sleep 1; done; "
    f'for step in {SEED_DIR}/step-*.sql; do psql -X -v ON_ERROR_STOP=1 -q -f "$step"; done'
)


def seed_job(stack: StackNamespace, plan: StackPlan, seed: SeedPlan) -> Manifest:
    """Run once `envsim up` finds the service ready; not retried, since a seed need not be idempotent."""
    target = plan.containers_of(seed.service)[0]
    env = env_entries(target.env)
    env.append({"name": "PGHOST", "value": upstream_service_name(seed.service)})
    if target.ports:
        env.append({"name": "PGPORT", "value": str(target.ports[0].container_port)})
    if any(name == "POSTGRES_PASSWORD" for name, _ in target.env):
        env.append({"name": "PGPASSWORD", "value": "$(POSTGRES_PASSWORD)"})
    name = _seed_name(seed)
    container = {
        "name": "seed",
        "image": target.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", _SEED_SCRIPT],
        "env": env,
        "volumeMounts": [{"name": "seed", "mountPath": SEED_DIR, "readOnly": True}],
    }
    labels = ((ROLE_LABEL, "seed"), (SERVICE_LABEL, seed.service))
    pod = {
        "restartPolicy": "Never",
        "containers": [container],
        "volumes": [{"name": "seed", "configMap": {"name": name}}],
    }
    annotations = {"envsim.seed": "; ".join(step.description for step in seed.steps)}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": stack.metadata(name, labels, annotations),
        "spec": {
            "backoffLimit": 0,
            "template": {"metadata": {"labels": pod_labels(stack.labels + labels)}, "spec": pod},
        },
    }


def seed_file_paths(plan: StackPlan) -> tuple[Path, ...]:
    """The SQL files whose text `render_manifests` needs in `seed_files`."""
    return tuple(step.file for seed in plan.seeds for step in seed.steps if step.file is not None)
