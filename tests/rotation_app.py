"""The credential-rotation stack the Docker and the Kubernetes rotation tests share: a stub that
checks a bearer token with a ttl, and two copies of one app that send it, `fresh` re-reading its
token file per request and `cached` reading it once at start-up."""

from __future__ import annotations

from typing import Any

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


def rotation_profile(ttl: str, resources: dict[str, Any] | None = None) -> dict[str, Any]:
    """The profile `rotation`: the token rotates every `ttl`; `resources` for each app (a cluster's node is small)."""
    app: dict[str, Any] = {
        "image": "python:3.11-slim",
        "command": ["python3", "-c", APP],
        "secret_files": {"payments_token": "/run/secrets/payments_token"},
        "ports": {"http": 8000},
        "publish": ["http"],
        "health": {"http": "/healthz"},
        "depends_on": ["payments"],
    }
    if resources:
        app["resources"] = resources
    return {
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
                name: {**app, "env": {"PAYMENTS_TOKEN_CACHE": cache}}
                for name, cache in (("fresh", "0"), ("cached", "1"))
            },
        },
        "credentials": {"payments_token": {"generate": "token", "ttl": ttl}},
    }


def rotation_scenario(target: str, duration: str) -> dict[str, Any]:
    """Two users paying through `target` (fresh or cached) for `duration`; no error allowed."""
    return {
        "envsim": 1,
        "name": f"rotation-{target}",
        "profile": "rotation",
        "load": {
            "target": target,
            "users": 2,
            "spawn_rate": 2,
            "duration": duration,
            "wait": ["50ms", "100ms"],
            "tasks": [{"name": "pay", "request": "GET /pay"}],
        },
        "checks": [{"metric": "error_rate", "below": "1%"}],
    }
