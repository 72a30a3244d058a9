"""scripts/k8s-setup.sh's pieces that need no running cluster: the configuration it writes.
Marker `kubernetes`, from the folder: they run in the test command's Kubernetes part.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


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
