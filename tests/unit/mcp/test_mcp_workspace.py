"""The MCP workspace's scrubber: every credential value a profile takes from the environment is
redacted from each answer, and the profiles are read again only when a file in profiles/ changed."""

from __future__ import annotations

from envsim import api
from envsim.mcp.workspace import Workspace

ENV = {"VENDOR_KEY": "vk-live-1234567", "BANK_KEY": "bk-live-7654321"}


def write_profile(repo, credentials: str) -> None:
    (repo / "profiles").mkdir(exist_ok=True)
    (repo / "profiles" / "vendor.yaml").write_text(
        "envsim: 1\nname: vendor\nservices:\n  app:\n    image: python:3.11-slim\n"
        f"    ports: {{http: 8000}}\ncredentials:\n{credentials}"
    )


def test_a_value_from_the_environment_is_redacted_and_a_credential_added_later_is_too(tmp_path):
    write_profile(tmp_path, '  vendor_key: {value: "${env.VENDOR_KEY}"}\n')
    workspace = Workspace(tmp_path, env=ENV)
    text = "key vk-live-1234567 and bk-live-7654321"
    assert workspace.scrubber().text(text) == "key <secret:vendor_key> and bk-live-7654321"
    write_profile(tmp_path, '  vendor_key: {value: "${env.VENDOR_KEY}"}\n  bank_key: {value: "${env.BANK_KEY}"}\n')
    assert workspace.scrubber().text(text) == "key <secret:vendor_key> and <secret:bank_key>"


def test_profiles_are_not_loaded_again_for_each_answer_while_unchanged(tmp_path, monkeypatch):
    write_profile(tmp_path, '  vendor_key: {value: "${env.VENDOR_KEY}"}\n')
    loads = []
    real_load = api.load_profile

    def counting_load(*args, **kwargs):
        loads.append(args[0])
        return real_load(*args, **kwargs)

    monkeypatch.setattr(api, "load_profile", counting_load)
    workspace = Workspace(tmp_path, env=ENV)
    for _ in range(5):
        assert workspace.scrubber().text("vk-live-1234567") == "<secret:vendor_key>"
    assert loads == ["vendor"]
    (tmp_path / "profiles" / "vendor.yaml").unlink()
    assert workspace.scrubber().text("vk-live-1234567") == "vk-live-1234567"


def test_a_generated_value_the_server_saw_is_redacted_beside_the_profiles(tmp_path):
    write_profile(tmp_path, '  vendor_key: {value: "${env.VENDOR_KEY}"}\n')
    workspace = Workspace(tmp_path, env=ENV)
    workspace.remember_secret("payments_token", "tok-generated-99")
    assert (
        workspace.scrubber().text("tok-generated-99 vk-live-1234567") == "<secret:payments_token> <secret:vendor_key>"
    )
