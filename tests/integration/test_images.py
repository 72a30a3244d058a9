"""The offline substitutes start and keep the official images' contracts; caches hold."""

from __future__ import annotations

import io
import sys
import time

import pytest

from envsim.images import LABEL_MANAGED, LABEL_SUBSTITUTE, PlainProgress, ensure_images
from envsim.images.prepare_test_images import TEST_IMAGES


def wait_for_exec(container, command: list[str], timeout: float = 60.0, **options) -> str:
    deadline = time.monotonic() + timeout
    while True:
        result = container.exec_run(command, **options)
        output = result.output.decode(errors="replace")
        if result.exit_code == 0:
            return output
        container.reload()
        if container.status != "running" or time.monotonic() > deadline:
            logs = container.logs().decode(errors="replace")[-2000:]
            raise AssertionError(f"{command} failed ({result.exit_code}): {output}\ncontainer logs:\n{logs}")
        time.sleep(0.5)


def test_substitutes_are_labelled(docker_client, prepared_images):
    for name in ("postgres:15", "redis:7", "python:3.11-slim"):
        labels = docker_client.images.get(prepared_images[name]).labels
        if labels.get(LABEL_MANAGED) != "true":
            pytest.skip(f"{name} is a real image here, not a substitute")
        assert labels[LABEL_SUBSTITUTE] == "debian"


def test_postgres_initialises_with_the_official_env_contract(run_container, prepared_images, tmp_path):
    init = tmp_path / "init"
    init.mkdir()
    (init / "01-schema.sql").write_text("create table orders (id int primary key); insert into orders values (1), (2);")
    container = run_container(
        prepared_images["postgres:15"],
        environment={"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "s3cret-pw", "POSTGRES_DB": "shop"},
        volumes={str(init): {"bind": "/docker-entrypoint-initdb.d", "mode": "ro"}},
        ports={"5432/tcp": ("127.0.0.1", None)},
    )
    wait_for_exec(container, ["pg_isready", "-U", "app", "-d", "shop", "-h", "127.0.0.1"])
    # Over TCP to the container's own non-loopback address: password authentication applies.
    address = wait_for_exec(container, ["hostname", "-i"]).split()[0]
    query = ["psql", "-h", address, "-U", "app", "-d", "shop", "-tAc", "select count(*) from orders"]
    assert wait_for_exec(container, query, environment={"PGPASSWORD": "s3cret-pw"}).strip() == "2"
    wrong = container.exec_run(query, environment={"PGPASSWORD": "wrong"})
    assert wrong.exit_code != 0
    assert b"password authentication failed" in wrong.output


def test_postgres_without_init_scripts_starts_and_survives_a_restart(run_container, prepared_images):
    container = run_container(
        prepared_images["postgres:15"], environment={"POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "shop"}
    )
    query = ["psql", "-U", "postgres", "-d", "shop", "-tAc", "select 1"]
    assert wait_for_exec(container, query).strip() == "1"
    container.restart(timeout=20)
    assert wait_for_exec(container, query).strip() == "1"


def test_postgres_refuses_to_initialise_without_a_password(run_container, prepared_images):
    container = run_container(prepared_images["postgres:15"])
    assert container.wait(timeout=60)["StatusCode"] == 1
    assert b"POSTGRES_PASSWORD is not set" in container.logs()


def test_redis_answers_ping_on_all_addresses(run_container, prepared_images):
    container = run_container(prepared_images["redis:7"])
    wait_for_exec(container, ["redis-cli", "ping"])
    address = wait_for_exec(container, ["hostname", "-i"]).split()[0]
    # protected mode off: a non-loopback client without a password is served
    assert wait_for_exec(container, ["redis-cli", "-h", address, "set", "k", "v"]).strip() == "OK"
    assert wait_for_exec(container, ["redis-cli", "-h", address, "get", "k"]).strip() == "v"


def test_python_has_pip_venv_and_trusts_the_ca_bundle(run_container, prepared_images):
    container = run_container(prepared_images["python:3.11-slim"], command=["sleep", "300"])
    version = wait_for_exec(container, ["python", "--version"])
    assert version.startswith("Python 3.11")
    wait_for_exec(container, ["python", "-m", "venv", "/tmp/venv"])
    wait_for_exec(container, ["pip", "--version"])
    # The machine's locally added CAs (e.g. an egress proxy's) are in the image's trust store.
    from envsim.images.host import extra_ca_certificates

    local_cas = extra_ca_certificates().split("-----END CERTIFICATE-----")[:-1]
    bundle = wait_for_exec(container, ["cat", "/etc/ssl/certs/ca-certificates.crt"])
    for cert in local_cas:
        assert cert.split("-----BEGIN CERTIFICATE-----")[1].strip() in bundle


def test_cached_images_are_not_rebuilt(docker_client, prepared_images):
    out = io.StringIO()
    again = ensure_images(TEST_IMAGES, docker_client, PlainProgress(out), pull=False)
    assert again == prepared_images
    assert "Step " not in out.getvalue()
    assert "built in" not in out.getvalue()
    sys.stderr.write(out.getvalue())


def test_every_image_that_cannot_be_had_is_reported_at_once(docker_client):
    from envsim.errors import EnvironmentProblem
    from envsim.images import ImageRequirement

    wanted = [
        ImageRequirement("python:2.7-slim", "image", services=("legacy",)),
        ImageRequirement("envsim-test-absent/nothing:1", "image", services=("web",)),
        ImageRequirement("redis:7", "image", services=("cache",)),
    ]
    with pytest.raises(EnvironmentProblem) as problem:
        ensure_images(wanted, docker_client, pull=False)
    message = str(problem.value)
    assert message.startswith("2 images cannot be made available, so nothing was built or started:")
    assert "  - python:2.7-slim (used by legacy): " in message and "python:3.9, python:3.11, python:3.13" in message
    assert "  - envsim-test-absent/nothing:1 (used by web): not present" in message
    assert "redis:7 (used by" not in message  # it is available


def test_cli_prepare_lists_each_image_once_prepared(tmp_path):
    import subprocess

    (tmp_path / ".git").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/tiny.yaml").write_text(
        "envsim: 1\nservices:\n  cache: {image: 'redis:7', ports: {redis: 6379}}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "envsim", "images", "prepare", "tiny", "--no-pull"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("redis:7  sha256:") and line.endswith("(cache)") for line in lines)
    assert any(line.startswith("ghcr.io/shopify/toxiproxy:2.12.0  sha256:") for line in lines)
    assert "pulling" not in done.stderr  # --no-pull


@pytest.mark.docker_free
def test_cli_prepare_without_an_engine_exits_3(tmp_path):
    import os
    import subprocess

    (tmp_path / ".git").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/tiny.yaml").write_text("envsim: 1\nservices:\n  cache: {image: 'redis:7'}\n")
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    done = subprocess.run(
        [sys.executable, "-m", "envsim", "images", "prepare", "tiny"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 3
    assert "no Docker engine answers" in done.stderr
    assert "Traceback" not in done.stderr
