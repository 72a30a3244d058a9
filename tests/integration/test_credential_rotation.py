"""Credentials like production, on a real engine with a real MockServer stub: a token with a
5 s ttl rotates during `run`. An app that read its token file once at start-up gets 401 after
the first rotation (in the journal's failure reasons); one that re-reads the file passes. The
journal names the rotations, never the values."""

from __future__ import annotations

import json
import uuid

import pytest
from rotation_app import rotation_profile, rotation_scenario

# one MockServer JVM starting at a time: its start and first expectations take seconds of CPU
pytestmark = pytest.mark.xdist_group("mockserver")

PROFILE = rotation_profile(ttl="5s")


def scenario(target: str) -> dict:
    return rotation_scenario(target, duration="14s")


@pytest.fixture(scope="module")
def repo(tmp_path_factory, docker_client, prepared_images):
    from envsim.api import up

    root = tmp_path_factory.mktemp("rotation-repo")
    (root / ".git").mkdir()
    (root / "profiles").mkdir()
    (root / "scenarios").mkdir()
    (root / "profiles/rotation.yaml").write_text(json.dumps(PROFILE))
    for target in ("fresh", "cached"):
        (root / f"scenarios/{target}.yaml").write_text(json.dumps(scenario(target)))
    state = tmp_path_factory.mktemp("state")
    env = {"ENVSIM_STATE_DIR": str(state), "PATH": "/usr/bin:/bin"}
    name = f"it-rot-{uuid.uuid4().hex[:8]}"
    stack = up(root / "profiles/rotation.yaml", name, env=env)
    try:
        yield root, name, env, stack, state
    finally:
        stack.down()


def test_an_app_that_cached_its_token_gets_401_after_the_first_rotation(repo):
    from envsim.api import run

    root, name, env, stack, state = repo
    before = json.loads((state / "stacks" / name / "secrets.json").read_text())["payments_token"]
    result = run(root / "scenarios/cached.yaml", name=name, env=env, write=False)
    assert not result.verdict.passed
    rotations = result.journal.rotations
    assert len(rotations) >= 2, rotations
    assert rotations[0].credential == "payments_token"
    assert 3.0 < rotations[0].t < 8.0, rotations
    assert rotations[0].stubs == ("payments",)
    assert sorted(f.split(":", 1)[1] for f in rotations[0].files) == ["/run/secrets/payments_token"] * 2
    assert not rotations[0].detail
    reasons = {r.kind for p in result.journal.series for r in p.failure_reasons}
    assert "HTTP 401" in reasons, reasons
    first_401 = min(p.t for p in result.journal.series if any(r.kind == "HTTP 401" for r in p.failure_reasons))
    assert first_401 >= int(rotations[0].t) - 1  # nothing failed before the token rotated
    # the new value is kept (0600) in the state, and shows nowhere in the journal
    after = json.loads((state / "stacks" / name / "secrets.json").read_text())["payments_token"]
    assert after != before
    text = result.journal.to_json()
    assert before not in text and after not in text
    assert oct((state / "stacks" / name / "secrets.json").stat().st_mode & 0o777) == "0o600"


def test_an_app_that_re_reads_its_token_file_passes_through_rotations(repo):
    from envsim.api import run

    root, name, env, _stack, _state = repo
    result = run(root / "scenarios/fresh.yaml", name=name, env=env, write=False)
    assert len(result.journal.rotations) >= 2
    assert result.verdict.passed, [(c.label, c.reason) for c in result.verdict.results]
    requests = sum(p.requests for p in result.journal.series if p.endpoint == "")
    assert requests > 100
