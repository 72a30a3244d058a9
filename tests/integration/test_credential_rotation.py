"""Credentials like production, on a real engine with a real MockServer stub: a token with a
5 s ttl rotates during `run`. An app that read its token file once at start-up gets 401 after
the first rotation (in the journal's failure reasons); one that re-reads the file passes. The
journal names the rotations, never the values."""

from __future__ import annotations

import json
import uuid

import pytest

# one MockServer JVM starting at a time: its start and first expectations take seconds of CPU
pytestmark = pytest.mark.xdist_group("mockserver")

APP = r"""
import http.server, os, urllib.error, urllib.request
FILE = "/run/secrets/payments_token"
CACHED = open(FILE).read().strip() if os.environ.get("PAYMENTS_TOKEN_CACHE") == "1" else None
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):
        if self.path == "/healthz":
            status = 200
        else:
            token = CACHED if CACHED is not None else open(FILE).read().strip()
            request = urllib.request.Request("http://payments:8080/v1/charges", data=b"{}", method="POST",
                                             headers={"Authorization": "Bearer " + token})
            try:
                status = urllib.request.urlopen(request, timeout=5).status
            except urllib.error.HTTPError as error:
                status = error.code
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""

PROFILE = {
    "envsim": 1,
    "name": "rotation",
    "services": {
        "payments": {
            "stub": {
                "routes": [{"method": "POST", "path": "/v1/charges", "status": 201, "body": {"id": "ch_1"}}],
                "auth": {"bearer": "${secret.payments_token}"},
            }
        },
        **{
            name: {
                "image": "python:3.11-slim",
                "command": ["python3", "-c", APP],
                "env": {"PAYMENTS_TOKEN_CACHE": cache},
                "secret_files": {"payments_token": "/run/secrets/payments_token"},
                "ports": {"http": 8000},
                "publish": ["http"],
                "health": {"http": "/healthz"},
                "depends_on": ["payments"],
            }
            for name, cache in (("fresh", "0"), ("cached", "1"))
        },
    },
    "credentials": {"payments_token": {"generate": "token", "ttl": "5s"}},
}


def scenario(target: str) -> dict:
    return {
        "envsim": 1,
        "name": f"rotation-{target}",
        "profile": "rotation",
        "load": {
            "target": target,
            "users": 2,
            "spawn_rate": 2,
            "duration": "14s",
            "wait": ["50ms", "100ms"],
            "tasks": [{"name": "pay", "request": "GET /pay"}],
        },
        "checks": [{"metric": "error_rate", "below": "1%"}],
    }


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
