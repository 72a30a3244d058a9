"""scripts/k8s-setup.sh's pieces that need no running cluster: the configuration it writes,
`build` on a filled cache, and its help. Marker `kubernetes`, from the folder: they run in the
test command's Kubernetes part, after its build.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "scripts" / "k8s-setup.sh"


def test_the_containerd_configuration_keeps_its_comments_as_written_and_runs_nothing(tmp_path):
    """Its here-document expands variables: a backquoted command in a comment once ran there
    (`ip netns add`, printing "No netns name specified" at every start) and left a gap."""
    values = {
        "K8S_DIR": str(tmp_path / "state"),
        "K8S_RUN": str(tmp_path / "run"),
        "CONTAINERD_SOCK": str(tmp_path / "run/containerd.sock"),
        "PAUSE_IMAGE": "envsim.local/k8s/pause:test",
        "CNI_BIN_DIR": "/usr/lib/cni",
        "CNI_BRIDGE": "envsimk8s0",
        "NODE_POD_CIDR": "10.244.0.0/24",
    }
    written = subprocess.run(
        ["bash", "-c", "set -eo pipefail; . scripts/k8s/config.sh; write_containerd_config"],
        cwd=REPO,
        env=dict(os.environ, **values),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (written.returncode, written.stdout, written.stderr) == (0, "", "")
    source = (REPO / "scripts/k8s/config.sh").read_text()
    document = source[source.index("<<TOML\n") : source.index("\nTOML\n")]
    comments = [line for line in document.splitlines() if line.lstrip().startswith("#")]
    config = (tmp_path / "state/containerd/config.toml").read_text()
    assert comments and [line for line in config.splitlines() if line.lstrip().startswith("#")] == comments


def test_build_with_every_binary_cached_builds_nothing_and_needs_no_engine():
    """What the test command starts first, in the background: on a filled cache it rebuilds nothing."""
    exports = subprocess.run(["bash", str(SETUP), "env"], check=True, capture_output=True, text=True).stdout
    bin_dir = Path(re.search(r"^export ENVSIM_K8S_BIN=(.*)$", exports, re.MULTILINE)[1])
    if not os.access(bin_dir / "kube", os.X_OK):
        pytest.skip(f"no cluster built in {bin_dir} (scripts/k8s-setup.sh build builds it, for minutes)")
    # DOCKER_HOST nowhere: packing the images (which needs the engine) is start's part, not build's
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent.sock")
    binary_before = (bin_dir / "kube").stat()
    built = subprocess.run(["bash", str(SETUP), "build"], env=env, capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "building" not in built.stdout + built.stderr
    assert f"binaries ready in {bin_dir}" in built.stdout
    binary_after = (bin_dir / "kube").stat()
    assert (binary_after.st_ino, binary_after.st_mtime_ns) == (binary_before.st_ino, binary_before.st_mtime_ns)


def test_help_names_every_subcommand():
    helped = subprocess.run(["bash", str(SETUP), "help"], capture_output=True, text=True, timeout=30)
    assert helped.returncode == 0, helped.stderr
    cases = SETUP.read_text().split('case "${1:-start}" in', 1)[1]
    subcommands = re.findall(r"^\t([a-z]+)[ )|]", cases, re.MULTILINE)
    assert {"start", "build", "stop", "status", "env", "import", "help"} <= set(subcommands)
    for name in subcommands:  # start is the default: [start]
        assert re.search(rf"scripts/k8s-setup.sh \[?{name}\b", helped.stdout), name
