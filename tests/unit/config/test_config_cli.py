"""The validate, schema and init commands, and what validate keeps off the import path."""

from __future__ import annotations

import json
import subprocess
import sys

from config_helpers import run_envsim, write


def test_validate_default_paths_ok_line(repo, monkeypatch):
    write(repo, "profiles/edge.yml", "envsim: 1\nservices: {api: {image: a}}\n")
    code, out, err = run_envsim(["validate"], monkeypatch)
    assert (code, out, err) == (0, "ok: 2 profiles, 1 scenario valid\n", "")


def test_validate_reports_every_problem_across_files(repo, monkeypatch):
    write(repo, "profiles/bad.yaml", "envsim: 1\nservices: {api: {image: a, replicas: 0}}\nextra: 1\n")
    write(repo, "scenarios/bad.yaml", "envsim: 1\nprofile: prod-like\nload: {duration: 1m, tasks: []}\n")
    code, out, err = run_envsim(["validate"], monkeypatch)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "profiles/bad.yaml:2:38: services.api.replicas: must be at least 1, got 0",
        "profiles/bad.yaml:3:1: extra: unknown key 'extra' (expected one of: credentials, envsim, extends, "
        "failure_modes, name, scale, services)",
        "scenarios/bad.yaml:3:29: load.tasks: needs at least 1 item",
        "3 problems found",
    ]


def test_validate_given_files_and_missing_file(repo, monkeypatch):
    code, out, _ = run_envsim(["validate", "scenarios/checkout.yaml"], monkeypatch)
    assert (code, out) == (0, "ok: 0 profiles, 1 scenario valid\n")
    code, _, err = run_envsim(["validate", "profiles/nope.yaml"], monkeypatch)
    assert (code, err) == (2, "profiles/nope.yaml:1:1: (top): file not found\n1 problem found\n")


def test_validate_env_comes_from_the_environment(repo, monkeypatch):
    write(repo, "profiles/prod-like.yaml", "envsim: 1\nservices: {api: {image: '${env.ENVSIM_TEST_IMAGE}'}}\n")
    monkeypatch.delenv("ENVSIM_TEST_IMAGE", raising=False)
    assert run_envsim(["validate", "profiles/prod-like.yaml"], monkeypatch)[0] == 2
    monkeypatch.setenv("ENVSIM_TEST_IMAGE", "app:1")
    assert run_envsim(["validate", "profiles/prod-like.yaml"], monkeypatch)[0] == 0


def test_validate_with_nothing_to_check(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_envsim(["validate"], monkeypatch)
    assert code == 2 and "run `envsim init`" in err


def test_schema_prints_the_packaged_schemas(monkeypatch):
    for kind in ("profile", "scenario"):
        code, out, _ = run_envsim(["schema", kind], monkeypatch)
        assert code == 0 and json.loads(out)["title"].startswith(f"envsim {kind}")
    assert run_envsim(["schema", "plan"], monkeypatch)[0] == 2


def test_init_scaffolds_valid_files_and_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_envsim(["init"], monkeypatch)
    assert code == 0 and "wrote profiles/prod-like.yaml" in out and "wrote scenarios/checkout.yaml" in out
    assert run_envsim(["validate"], monkeypatch)[:2] == (0, "ok: 1 profile, 1 scenario valid\n")
    (tmp_path / "profiles/prod-like.yaml").write_text("mine\n")
    code, _, err = run_envsim(["init"], monkeypatch)
    assert code == 2 and "not overwriting profiles/prod-like.yaml, scenarios/checkout.yaml" in err
    assert (tmp_path / "profiles/prod-like.yaml").read_text() == "mine\n"
    assert run_envsim(["init", "--force"], monkeypatch)[0] == 0
    assert (tmp_path / "profiles/prod-like.yaml").read_text().startswith("# An envsim profile")


def test_help_texts_carry_examples(monkeypatch):
    for command in ("validate", "schema", "init"):
        code, out, _ = run_envsim([command, "--help"], monkeypatch)
        assert code == 0 and "Examples:" in out and f"envsim {command}" in out


def test_validate_imports_neither_docker_nor_locust(repo):
    probe = (
        "import sys\n"
        "from envsim.cli.failures import run_cli\n"
        "from envsim.cli import cli\n"
        "sys.argv = ['envsim', 'validate']\n"
        "code = run_cli(cli)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('docker', 'locust', 'gevent', 'rich'))\n"
        "print(code, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stderr
