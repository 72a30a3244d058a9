"""`envsim plan --format kubernetes` through the CLI: a YAML stream, exit codes, no secret values."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from envsim.cli import cli
from envsim.cli.failures import run_cli

REPO = Path(__file__).resolve().parents[3]


def run_envsim(args: list[str], monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["envsim", *args])
    with CliRunner().isolation() as (out, err, _):
        code = run_cli(cli)
        return code, out.getvalue().decode(), err.getvalue().decode()


def test_prints_the_stack_as_a_yaml_stream_of_manifests(monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, err = run_envsim(["plan", "prod-like", "--format", "kubernetes", "--name", "pr-7"], monkeypatch)
    assert (code, err) == (0, "")
    manifests = list(yaml.safe_load_all(out))
    assert manifests[0] == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "envsim-pr-7", "labels": {"envsim.stack": "pr-7", "envsim.profile": "prod-like"}},
    }
    kinds = {m["kind"] for m in manifests}
    assert kinds == {"Namespace", "Secret", "ConfigMap", "Deployment", "Service", "Job"}
    # the seed file's text travels in the seed ConfigMap
    seed = next(m for m in manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"] == "envsim-seed-db")
    schema = (REPO / "examples/shop/seeds/schema.sql").read_text(encoding="utf-8")
    assert seed["data"]["step-01.sql"] == schema


def test_a_scenario_renders_its_profile_stack(monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, err = run_envsim(["plan", "scenarios/checkout.yaml", "--format", "kubernetes"], monkeypatch)
    assert (code, err) == (0, "")
    assert any(m["kind"] == "Deployment" and m["metadata"]["name"] == "api" for m in yaml.safe_load_all(out))


def test_a_value_from_the_callers_environment_is_never_printed(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/keyed.yaml").write_text(
        "envsim: 1\nname: keyed\nservices:\n  api:\n    image: app:1\n    ports: {http: 8000}\n"
        "    env: {KEY: '${secret.api_key}', URL: 'https://x:${secret.api_key}@vendor'}\n"
        "credentials:\n  api_key: {value: '${env.VENDOR_KEY}'}\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VENDOR_KEY", "vendor-key-7f3a9c")
    code, out, err = run_envsim(["plan", "keyed", "--format", "kubernetes"], monkeypatch)
    assert (code, err) == (0, "")
    assert "vendor-key-7f3a9c" not in out
    assert "secretKeyRef" in out and "$(ENVSIM_SECRET_api_key)" in out


def test_json_and_kubernetes_together_are_a_usage_error(monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, err = run_envsim(["plan", "prod-like", "--json", "--format", "kubernetes"], monkeypatch)
    assert code == 2 and out == ""
    assert "--json and --format kubernetes exclude each other" in err


def test_format_json_is_the_same_as_json(monkeypatch):
    monkeypatch.chdir(REPO)
    assert run_envsim(["plan", "prod-like", "--format", "json"], monkeypatch) == run_envsim(
        ["plan", "prod-like", "--json"], monkeypatch
    )
