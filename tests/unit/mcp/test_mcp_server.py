"""The MCP server through the SDK's in-memory client: every tool and resource, on a copy of the repo."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from envsim.mcp.acting_tools import ACTING_TOOLS
from envsim.mcp.server import ASPECTS, build_server

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def app_repo(tmp_path: Path) -> Path:
    for part in ("profiles", "scenarios", "examples"):
        shutil.copytree(REPO / part, tmp_path / part)
    return tmp_path


def session(root: Path, env: dict[str, str] | None = None, calls=None) -> Any:
    """Run `calls(client)` against a server built on `root`; return what it returns."""

    async def main() -> Any:
        async with Client(build_server(root, env=env or {})) as client:
            return await calls(client)

    return anyio.run(main)


async def read_json(client: Client, uri: str) -> dict[str, Any]:
    result = await client.read_resource(uri)
    assert result.contents[0].mime_type == "application/json"
    return json.loads(result.contents[0].text)


def test_lists_the_read_only_tools_and_every_profile_aspect(app_repo):
    async def calls(client):
        return await client.list_tools(), await client.list_resources()

    tools, resources = session(app_repo, calls=calls)
    read_only = ["describe_environment", "plan", "validate"]
    assert sorted(t.name for t in tools.tools) == sorted(read_only + ACTING_TOOLS)
    assert all(t.annotations.read_only_hint for t in tools.tools if t.name in read_only)
    uris = {str(r.uri) for r in resources.resources}
    assert {"envsim://environment", "envsim://scenarios"} <= uris
    for profile in ("base", "prod-like"):
        assert {f"envsim://profiles/{profile}/{aspect}" for aspect in ASPECTS} <= uris


def test_every_resource_reads_as_json_without_error(app_repo):
    async def calls(client):
        listed = await client.list_resources()
        return {str(r.uri): await read_json(client, str(r.uri)) for r in listed.resources}

    answers = session(app_repo, calls=calls)
    assert all("error" not in answer for answer in answers.values()), answers
    index = answers["envsim://environment"]
    assert index["profiles"] == sorted(p.stem for p in (REPO / "profiles").glob("*.yaml"))
    assert index["scenarios"] == sorted(f"scenarios/{p.name}" for p in (REPO / "scenarios").glob("*.yaml"))


def test_data_lists_orders_at_production_scale_with_its_indexes(app_repo):
    async def calls(client):
        return await read_json(client, "envsim://profiles/prod-like/data"), await read_json(
            client, "envsim://profiles/base/data"
        )

    prod, base = session(app_repo, calls=calls)
    (database,) = prod["databases"]
    assert database["service"] == "db"
    tables = {t["name"]: t for t in database["tables"]}
    orders = tables["orders"]
    assert orders["rows"] == 20000
    assert {c["name"]: c["type"] for c in orders["columns"]} == {
        "id": "bigint",
        "sku": "text",
        "qty": "integer",
        "price": "numeric(10, 2)",
        "created_at": "timestamptz",
    }
    indexes = {i["name"]: i for i in orders["indexes"]}
    # the index schema.sql declares, and the primary key's
    assert indexes["orders_created_at"]["columns"] == ["created_at"]
    assert indexes["orders_created_at"]["unique"] is False
    assert indexes["orders_pkey"]["kind"] == "primary key"
    assert tables["products"]["rows"] == 5  # the INSERT ... VALUES in schema.sql
    # base seeds the schema only
    assert {t["name"]: t["rows"] for t in base["databases"][0]["tables"]} == {"orders": 0, "products": 5}


def test_configuration_redacts_secrets_with_their_rule(app_repo):
    async def calls(client):
        return await read_json(client, "envsim://profiles/prod-like/configuration")

    config = session(app_repo, calls=calls)
    env = {s["service"]: {v["name"]: v for v in s["env"]} for s in config["services"]}
    assert env["api"]["DATABASE_URL"]["value"] == "postgresql://app:<secret: db_password>@db:5432/shop"
    assert env["api"]["DATABASE_URL"]["secret"] is True
    assert env["api"]["REDIS_URL"] == {"name": "REDIS_URL", "value": "redis://cache:6379/0", "secret": False}
    assert env["db"]["POSTGRES_PASSWORD"]["value"] == "<secret: db_password>"
    (credential,) = config["credentials"]
    assert credential["name"] == "db_password" and credential["generate"] == "password"
    assert {"service": "api", "env": "DATABASE_URL"} in credential["used_by"]


def test_services_and_failure_modes(app_repo):
    async def calls(client):
        return (
            await read_json(client, "envsim://profiles/prod-like/services"),
            await read_json(client, "envsim://profiles/prod-like/failure-modes"),
            await read_json(client, "envsim://scenarios"),
        )

    services, faults, scenarios = session(app_repo, calls=calls)
    by_name = {s["name"]: s for s in services["services"]}
    assert by_name["api"]["kind"] == "build" and by_name["api"]["depends_on"] == ["db", "cache"]
    assert by_name["api"]["published"][0]["name"] == "http"
    assert by_name["api"]["health"]["path"] == "/healthz"
    assert by_name["db"]["image"] == "postgres:15"
    modes = {f["name"]: f for f in faults["failure_modes"]}
    assert "latency" in modes["db-slow"]["effect"] and modes["cache-down"]["kind"] == "down"
    checkout = next(s for s in scenarios["scenarios"] if s["name"] == "checkout")
    assert [t["fault"] for t in checkout["timeline"]] == ["db-slow", "cache-down"]
    assert len(checkout["checks"]) == 11


def test_describe_environment_gathers_every_aspect(app_repo):
    async def calls(client):
        return await client.call_tool("describe_environment", {"profile": "prod-like"})

    result = session(app_repo, calls=calls)
    assert not result.is_error
    answer = result.structured_content
    assert set(answer) >= {"services", "configuration", "data", "apis", "failure_modes", "scenarios"}
    orders = next(t for t in answer["data"]["databases"][0]["tables"] if t["name"] == "orders")
    assert orders["rows"] == 20000
    assert {s["name"] for s in answer["scenarios"]} == {"checkout", "smoke"}
    assert json.loads(result.content[0].text) == answer


def test_plan_is_the_cli_json_with_secrets_redacted(app_repo):
    async def calls(client):
        return (
            await client.call_tool("plan", {"target": "prod-like"}),
            await client.call_tool("plan", {"target": "scenarios/checkout.yaml"}),
        )

    profile, scenario = session(app_repo, calls=calls)
    assert profile.structured_content["kind"] == "profile"
    api = next(c for c in profile.structured_content["plan"]["containers"] if c["service"] == "api")
    assert api["env"]["DATABASE_URL"] == "postgresql://app:<secret:db_password>@db:5432/shop"
    assert scenario.structured_content["kind"] == "scenario"
    assert scenario.structured_content["plan"]["scenario"] == "checkout"


def test_validate_reports_located_problems(app_repo):
    broken = app_repo / "profiles" / "broken.yaml"
    broken.write_text("envsim: 1\nname: broken\nservices:\n  api:\n    image: x\n    replicas: lots\n")

    async def calls(client):
        return (
            await client.call_tool("validate", {}),
            await client.call_tool("validate", {"files": ["profiles/prod-like.yaml"]}),
            await client.call_tool("validate", {"files": ["../outside.yaml"]}),
        )

    everything, one, outside = session(app_repo, calls=calls)
    answer = everything.structured_content
    assert answer["status"] == "invalid" and answer["exit_code"] == 2
    assert any(p.startswith("profiles/broken.yaml:6:") and "replicas" in p for p in answer["problems"])
    assert one.structured_content == {
        "status": "ok",
        "exit_code": 0,
        "problems": [],
        "profiles": 1,
        "scenarios": 0,
        "files": ["profiles/prod-like.yaml"],
    }
    assert outside.is_error and "outside the repo" in outside.content[0].text


def test_wrong_inputs_get_the_cli_messages(app_repo):
    async def calls(client):
        return (
            await client.call_tool("describe_environment", {"profile": "nope"}),
            await client.call_tool("plan", {"target": "../../etc/passwd.yaml"}),
        )

    missing, outside = session(app_repo, calls=calls)
    assert missing.is_error and "no profile named 'nope'" in missing.content[0].text
    assert "profiles here: base, " in missing.content[0].text and "prod-like)" in missing.content[0].text
    assert outside.is_error and "outside the repo" in outside.content[0].text


SUPPLIED = "sk_live_9f8e7d6c5b4a-supplied-by-env"


def test_a_credential_value_from_the_environment_appears_in_no_response(app_repo):
    (app_repo / "profiles" / "vendor.yaml").write_text(
        "envsim: 1\n"
        "name: vendor\n"
        "services:\n"
        "  app:\n"
        "    image: python:3.11-slim\n"
        "    env:\n"
        '      VENDOR_KEY: "${secret.vendor_key}"\n'
        '      VENDOR_URL: "https://user:${secret.vendor_key}@payments:8080"\n'
        "    ports: {http: 8000}\n"
        "    secret_files: {vendor_key: /run/secrets/vendor_key}\n"
        "  payments:\n"
        "    stub:\n"
        "      routes: [{method: POST, path: /charges, status: 201}]\n"
        '      auth: {bearer: "${secret.payments_token}"}\n'
        "      version: {header: Api-Version, current: '2024-06', deprecated: ['2023-01']}\n"
        "      latency: {p50: 120ms, p99: 900ms}\n"
        "credentials:\n"
        '  vendor_key: {value: "${env.VENDOR_KEY}"}\n'
        "  payments_token: {generate: token, ttl: 5m}\n"
        "failure_modes:\n"
        "  payments-limited: {target: payments, http_errors: {429: 10%}, retry_after: 2s}\n"
    )

    async def calls(client):
        texts = []
        for resource in (await client.list_resources()).resources:
            result = await client.read_resource(str(resource.uri))
            texts.extend(c.text for c in result.contents)
        for name, args in [
            ("describe_environment", {"profile": "vendor"}),
            ("plan", {"target": "vendor"}),
            ("plan", {"target": "profiles/vendor.yaml"}),
            ("validate", {}),
            ("describe_environment", {"profile": SUPPLIED}),
        ]:
            result = await client.call_tool(name, args)
            assert result.is_error == (args.get("profile") == SUPPLIED), result.content[0].text
            texts.extend(c.text for c in result.content)
            texts.append(json.dumps(result.structured_content))
        return texts, await read_json(client, "envsim://profiles/vendor/apis")

    texts, apis = session(app_repo, env={"VENDOR_KEY": SUPPLIED}, calls=calls)
    assert texts and not [t for t in texts if SUPPLIED in t]
    assert any("<secret: vendor_key>" in t for t in texts)
    (payments,) = apis["apis"]
    assert payments["auth"]["scheme"] == "bearer" and payments["auth"]["header"] == "Authorization"
    assert payments["auth"]["token"] == "<secret: payments_token>" and payments["auth"]["ttl"] == 300
    assert payments["versions"] == {
        "header": "Api-Version",
        "current": "2024-06",
        "deprecated": ["2023-01"],
        "note": "requests naming a deprecated version are rejected",
    }
    assert payments["latency"] == {"p50": 0.12, "p99": 0.9}
    assert payments["rate_limits"] == [
        {"failure_mode": "payments-limited", "statuses": {"429": 0.1}, "retry_after": 2.0}
    ]
