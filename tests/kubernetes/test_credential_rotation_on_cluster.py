"""Credential rotation during `run --on kubernetes`, on the real cluster, with the observable
results of tests/integration/test_credential_rotation.py on Docker: a token with a short ttl
rotates during the run; an app that re-reads its token file passes through the rotations, one
that read it once at start-up gets 401 after the first rotation. The stack's Secret holds the
new value afterwards; the journal names the rotations, never the values.

The file sits in /run/secrets, a directory the pod mounts whole from the Secret, which the
kubelet refreshes (a file mounted alone with subPath never is): engine/kubernetes/credential_files.py.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cluster_stacks import envsim, kept_stack
from rotation_app import rotation_profile, rotation_scenario

STACK = "k8s-e2e-rotation"

pytestmark = pytest.mark.kubernetes

PROFILE = rotation_profile(ttl="6s", resources={"cpus": 0.2, "memory": "128m"})


def scenario(target: str) -> dict:
    return rotation_scenario(target, duration="18s")


@pytest.fixture(scope="module")
def stack(core, tmp_path_factory):
    yield from kept_stack(
        core, tmp_path_factory, STACK, PROFILE, {name: scenario(name) for name in ("fresh", "cached")}
    )


def run(target: str, repo: Path, state: Path, reports: Path) -> tuple[int, dict, dict, str]:
    done = envsim(
        "run", f"scenarios/{target}.yaml", "--name", STACK, "--no-up", "--reports", str(reports), repo=repo, state=state
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr  # judged, not broken
    verdict = json.loads((reports / "verdict.json").read_text())
    return done.returncode, verdict, json.loads((reports / "journal.json").read_text()), done.stdout + done.stderr


def stored_token(state: Path) -> str:
    return json.loads((state / "stacks" / STACK / "secrets.json").read_text())["payments_token"]


def test_an_app_that_cached_its_token_gets_401_after_the_first_rotation(core, stack, tmp_path):
    repo, state = stack
    before = stored_token(state)
    code, _, journal, output = run("cached", repo, state, tmp_path)
    assert code == 1, output
    rotations = journal["rotations"]
    assert len(rotations) >= 2, rotations
    first = rotations[0]
    assert first["credential"] == "payments_token"
    assert first["stubs"] == ["payments"]
    assert sorted(f.split(":", 1)[1] for f in first["files"]) == ["/run/secrets/payments_token"] * 2
    assert not first.get("detail"), first  # every copy reached: no problem recorded
    failures = [(p["t"], r["kind"]) for p in journal["series"] for r in p.get("failure_reasons", [])]
    assert any(kind == "HTTP 401" for _, kind in failures), failures
    assert min(t for t, kind in failures if kind == "HTTP 401") >= int(first["t"]) - 1  # none before it rotated

    after = stored_token(state)
    assert after != before
    secret = core.read_namespaced_secret("envsim-credentials", f"envsim-{STACK}")
    assert base64.b64decode(secret.data["payments_token"]).decode() == after  # pods started now get it
    text = json.dumps(journal) + output
    assert before not in text and after not in text


def test_an_app_that_re_reads_its_token_file_passes_through_rotations(stack, tmp_path):
    repo, state = stack
    code, verdict, journal, output = run("fresh", repo, state, tmp_path)
    assert len(journal["rotations"]) >= 2, journal["rotations"]
    assert code == 0, ([(r["label"], r["measured"]) for r in verdict["results"]], output[-2000:])
    requests = sum(p["requests"] for p in journal["series"] if p.get("endpoint", "") == "")
    assert requests > 100
