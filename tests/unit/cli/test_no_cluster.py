"""`--on kubernetes` when no cluster answers: exit 3 with what was tried, nothing changed."""

from __future__ import annotations

import socket
import sys

from click.testing import CliRunner

from envsim.cli import cli
from envsim.cli.failures import run_cli

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: gone
  cluster: {{server: "https://127.0.0.1:{port}", insecure-skip-tls-verify: true}}
users:
- name: someone
  user: {{token: not-a-real-token}}
contexts:
- name: gone
  context: {{cluster: gone, user: someone}}
current-context: gone
"""


def run_envsim(args, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["envsim", *args])
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = run_cli(cli)
        return code, out.getvalue().decode(), err.getvalue().decode()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_no_cluster_answering_is_an_environment_problem_naming_the_server(tmp_path, monkeypatch):
    port = closed_port()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG.format(port=port))
    for command in (["status", "--all"], ["down", "--name", "shop"]):
        code, out, err = run_envsim([*command, "--on", "kubernetes", "--kubeconfig", str(kubeconfig)], monkeypatch)
        assert code == 3, err
        assert f"no Kubernetes cluster answers at https://127.0.0.1:{port}" in err
        assert "envsim started, changed and removed nothing" in err
        assert "Traceback" not in err and out == ""


def test_a_missing_kubeconfig_is_an_environment_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("ENVSIM_ON", "kubernetes")
    code, _, err = run_envsim(["status", "--all", "--kubeconfig", str(tmp_path / "nowhere")], monkeypatch)
    assert code == 3
    assert f"no Kubernetes cluster to use: {tmp_path / 'nowhere'}" in err
