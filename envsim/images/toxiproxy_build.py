"""Toxiproxy's server and CLI built from its Go module, cached under ~/.cache/envsim/.

Static binaries (CGO off) so the image can be FROM scratch like the official one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from envsim.errors import EnvironmentProblem
from envsim.images import host
from envsim.images.progress import ImageProgress
from envsim.images.requirements import TOXIPROXY_LOCAL_IMAGE, TOXIPROXY_VERSION

MODULE = "github.com/Shopify/toxiproxy/v2"
BINARIES = {"server": "toxiproxy-server", "cli": "toxiproxy-cli"}
_GO_TIMEOUT = 900.0


def toxiproxy_binaries(progress: ImageProgress, version: str = TOXIPROXY_VERSION) -> Path:
    """The directory holding toxiproxy-server and toxiproxy-cli, building them if needed."""
    target = host.cache_dir() / "toxiproxy" / version
    if all((target / name).is_file() for name in BINARIES.values()):
        return target
    go = shutil.which("go")
    if go is None:
        raise EnvironmentProblem(
            f"{TOXIPROXY_LOCAL_IMAGE} must be built (no registry answered) and `go` is not installed",
            hint="install Go >= 1.23 (https://go.dev/dl), or `docker load` ghcr.io/shopify/toxiproxy",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{version}-", dir=target.parent))
    try:
        progress.report(TOXIPROXY_LOCAL_IMAGE, f"go install {MODULE}/cmd/{{server,cli}}@v{version}")
        started = time.monotonic()
        env = dict(os.environ, CGO_ENABLED="0", GOBIN=str(staging), GOFLAGS="-buildvcs=false")
        ldflags = f"-s -w -X {MODULE}.Version={version}"
        command = [
            go,
            "install",
            "-trimpath",
            f"-ldflags={ldflags}",
            *(f"{MODULE}/cmd/{package}@v{version}" for package in BINARIES),
        ]
        try:
            completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=_GO_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise EnvironmentProblem(f"building Toxiproxy took longer than {_GO_TIMEOUT:.0f}s") from None
        if completed.returncode != 0:
            raise EnvironmentProblem(
                f"building Toxiproxy {version} with `go install` failed:\n{completed.stderr.strip()[-2000:]}",
                hint="the Go module proxy (GOPROXY) must be reachable; Go >= 1.23 is needed",
            )
        for package, name in BINARIES.items():
            (staging / package).rename(staging / name)
        # Publish atomically so a concurrent or interrupted build never leaves half a cache.
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        progress.report(TOXIPROXY_LOCAL_IMAGE, f"binaries built in {time.monotonic() - started:.0f}s")
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)
