"""No secret value anywhere envsim writes: a full scenario with generated and supplied secrets,
then every byte it produced searched for each value, plain, base64- and URL-encoded; the secrets
file envsim keeps for the stack is its owner's only (one stack start-up for both)."""

from __future__ import annotations

import base64
import json
import os
import urllib.parse
import urllib.request
from pathlib import Path

SUPPLIED = "supplied-Vendor-Key-9f8e7d6c5b4a"

PROFILE = """
envsim: 1
name: scan
extends: prod-like
services:
  api:
    env:
      VENDOR_KEY: "${secret.vendor_key}"
    secret_files: {vendor_key: /run/secrets/vendor_key}
credentials:
  vendor_key: {value: "${env.SCAN_VENDOR_KEY}"}
"""

SCENARIO = """
envsim: 1
profile: scan
load:
  target: api
  users: 3
  spawn_rate: 3
  duration: 8s
  tasks:
    - {name: browse, request: "GET /products/db"}
    - {name: checkout, request: "POST /orders", json: {sku: A1, qty: 1}}
timeline:
  - {at: 2s, for: 3s, fault: db-slow}
checks:
  - {metric: error_rate, below: 50%}
  - {sql: {service: db, query: "select count(*) from orders where created_at >= :run_start"}, equals: {successes: checkout}}
reports: {dir: ../out}
"""


def _encodings(value: str) -> dict[str, str]:
    return {
        "plain": value,
        "base64": base64.b64encode(value.encode()).decode(),
        "url": urllib.parse.quote(value, safe=""),
        "url-plus": urllib.parse.quote_plus(value),
    }


def _files(root: Path, skip: set[Path]) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file() and p not in skip}


def test_no_secret_value_in_anything_envsim_produced_and_the_secret_files_are_private(
    cli, engine, project, state_dir, stack_name, remove_stacks
):
    remove_stacks.append(stack_name)
    (project / "profiles" / "scan.yaml").write_text(PROFILE, encoding="utf-8")
    (project / "scenarios" / "scan.yaml").write_text(SCENARIO, encoding="utf-8")
    cli.env["SCAN_VENDOR_KEY"] = SUPPLIED
    outputs: dict[str, str] = {}

    def record(*args: str) -> int:
        done = cli.run(*args)
        assert "Traceback" not in done.stderr, done.stderr
        outputs[" ".join(args) + " (stdout)"] = done.stdout
        outputs[" ".join(args) + " (stderr)"] = done.stderr
        return done.returncode

    record("plan", "scan")
    record("plan", "scenarios/scan.yaml", "--json")
    record("plan", "scan", "--format", "kubernetes")
    assert "secretKeyRef" in outputs["plan scan --format kubernetes (stdout)"]
    assert record("up", "scan", "--name", stack_name) == 0
    # the secrets envsim generated (read now: `down` removes them), and the one the caller supplied
    secrets_file = next(state_dir.rglob(f"stacks/{stack_name}/secrets.json"))
    # only their owner can read the secrets envsim keeps
    assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
    assert oct(secrets_file.parent.stat().st_mode & 0o777) == "0o700"
    values = {**json.loads(secrets_file.read_text()), "vendor_key": SUPPLIED}
    assert set(values) >= {"db_password", "vendor_key"}
    record("status", stack_name, "--json")
    record("fault", "apply", "db-slow", "-p", "scan", "--name", stack_name)
    record("fault", "list", "-p", "scan", "--name", stack_name)
    record("fault", "clear", "-p", "scan", "--name", stack_name)
    record("run", "scenarios/scan.yaml", "--name", stack_name)
    record("verdict", str(project / "out" / "journal.json"))

    # what the engine and Toxiproxy show while the stack runs
    containers = engine.containers.list(all=True, filters={"label": f"envsim.stack={stack_name}"})
    assert containers
    for container in containers:
        attrs = container.attrs
        outputs[f"{container.name} labels and name"] = json.dumps(
            {"name": container.name, "labels": attrs["Config"]["Labels"]}
        )
        host = attrs["HostConfig"]
        assert not host.get("Privileged"), container.name
        assert host.get("NetworkMode") != "host", container.name
        assert not any("docker.sock" in (m.get("Source") or "") for m in attrs.get("Mounts", [])), container.name
        for bindings in (host.get("PortBindings") or {}).values():
            assert all(b["HostIp"] == "127.0.0.1" for b in bindings), (container.name, bindings)
        if (attrs["Config"]["Labels"] or {}).get("envsim.role") == "toxiproxy":
            for port, bindings in attrs["NetworkSettings"]["Ports"].items():
                if bindings and port.startswith("8474"):
                    api = f"http://127.0.0.1:{bindings[0]['HostPort']}/proxies"
                    with urllib.request.urlopen(api, timeout=5) as answer:
                        outputs[f"{container.name} toxiproxy config"] = answer.read().decode()

    state_files = _files(state_dir, {secrets_file})  # owner record, locks: before `down` removes them
    # the search itself can find a value: the secrets file (left out above) holds each one
    assert all(v.encode() in secrets_file.read_bytes() for k, v in values.items() if k != "vendor_key")
    assert record("down", "scan", "--name", stack_name) == 0
    assert os.path.exists(state_dir)

    produced = {name: text.encode() for name, text in outputs.items()}
    produced.update(_files(project / "out", set()))
    produced.update(state_files)
    hits = [
        f"{secret} ({encoding}) in {where}"
        for secret, value in values.items()
        for encoding, encoded in _encodings(value).items()
        for where, data in produced.items()
        if encoded.encode() in data
    ]
    assert hits == []
    assert len(produced) > 20  # outputs, journal and four reports, state files: the search had material
