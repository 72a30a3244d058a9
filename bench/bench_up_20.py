"""Wall time of `envsim up` for a 20-service profile next to `docker-compose up` of the same services.

The profile is 10 PostgreSQL (postgres:15) and 10 Redis (redis:7) services, each health-checked
every second (pg_isready over TCP; a TCP connect for envsim, `redis-cli ping` for compose), no
dependencies between them and no seed: what is measured is starting twenty services and seeing
each one healthy. Warm: the images are local (`--no-pull`), and one warm-up per side runs first
(not counted). envsim's time is `envsim up` as a subprocess until it exits (it returns once every
service passed its check; Toxiproxy in front of the services included); compose's is `up -d`
plus polling the engine until every container's Docker health status is `healthy`. Alternating
rounds; prints each side's median, the ratio and whether envsim's median is under the 60 s goal.
Asserts nothing. Unique names, a private ENVSIM_STATE_DIR; all is removed after and leftovers
are reported.

Prerequisite: a compose to compare with. `docker compose` (the plugin) is used when present,
else `docker-compose`; Debian 12's package (v1.29) is installed with apt-get when neither is
(`apt-get install docker-compose`, as root), and the bench says so before it does.

    python bench/bench_up_20.py [--rounds 2] [--postgres 10] [--redis 10]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_up import EnvsimSide, Run, compose_command, leftovers, run_checked  # noqa: E402

GOAL_SECONDS = 60.0
HEALTH_DEADLINE = 300.0  # seconds; a side not healthy by then fails the bench run


@dataclass(frozen=True)
class BenchService:
    """One service as both files describe it: the same image, port, environment and check."""

    name: str
    image: str
    port_name: str
    port: int
    env: str  # a flow mapping; DB_PASSWORD stands for each side's way of naming the secret
    envsim_health: str  # envsim's check (redis: a TCP connect, which has no client in the image)
    compose_test: str  # compose's healthcheck test


def bench_services(postgres: int, redis: int) -> list[BenchService]:
    pg_ready = "pg_isready, -h, 127.0.0.1, -U, app, -d, shop"
    pg_env = "{POSTGRES_USER: app, POSTGRES_PASSWORD: DB_PASSWORD, POSTGRES_DB: shop}"
    return [
        *(
            BenchService(f"pg{i}", "postgres:15", "pg", 5432, pg_env, f"cmd: [{pg_ready}]", f"[CMD, {pg_ready}]")
            for i in range(1, postgres + 1)
        ),
        *(
            BenchService(f"redis{i}", '"redis:7"', "redis", 6379, "", "tcp: redis", "[CMD, redis-cli, ping]")
            for i in range(1, redis + 1)
        ),
    ]


def profile_yaml(services: list[BenchService]) -> str:
    lines = ["envsim: 1", "name: bench", "services:"]
    for service in services:
        lines += [f"  {service.name}:", f"    image: {service.image}"]
        if service.env:
            lines.append(f"    env: {service.env.replace('DB_PASSWORD', chr(34) + '${secret.db_password}' + chr(34))}")
        lines += [
            f"    ports: {{{service.port_name}: {service.port}}}",
            f"    health: {{{service.envsim_health}, interval: 1s, start_period: 120s}}",
        ]
    lines += ["credentials:", "  db_password: {generate: password}"]
    return "\n".join(lines) + "\n"


def compose_yaml(services: list[BenchService]) -> str:
    lines = ['version: "2.4"', "services:"]
    for service in services:
        lines += [f"  {service.name}:", f"    image: {service.image}"]
        if service.env:
            lines.append(
                f"    environment: {service.env.replace('DB_PASSWORD', chr(34) + '${BENCH_DB_PASSWORD}' + chr(34))}"
            )
        lines += [
            f'    ports: ["127.0.0.1::{service.port}"]',
            f"    healthcheck: {{test: {service.compose_test}, interval: 1s, retries: 120}}",
        ]
    return "\n".join(lines) + "\n"


class ComposeSide:
    def __init__(self, repo: Path, project: str, compose: list[str], env: dict[str, str], client, services: int):
        self.repo, self.env, self.client, self.services = repo, env, client, services
        self.base = [*compose, "-p", project, "-f", str(repo / "docker-compose.yml")]
        self.label = f"com.docker.compose.project={project}"
        self.volumes: set[str] = set()

    def up(self) -> Run:
        started = time.perf_counter()
        run_checked([*self.base, "up", "-d"], cwd=self.repo, env=self.env)
        returned = time.perf_counter() - started
        while True:
            containers = self.client.containers.list(all=True, filters={"label": self.label})
            states = [c.attrs["State"] for c in containers]
            healthy = sum(1 for s in states if (s.get("Health") or {}).get("Status") == "healthy")
            if len(states) == self.services and healthy == self.services:
                break
            if time.perf_counter() - started > HEALTH_DEADLINE:
                raise SystemExit(f"compose: {healthy} of {self.services} healthy after {HEALTH_DEADLINE:g}s")
            time.sleep(0.25)  # each poll inspects every container; keep it off a 2-core CPU
        run = Run("compose", time.perf_counter() - started, {"`up -d` returned": returned})
        for container in containers:
            self.volumes |= {m["Name"] for m in container.attrs.get("Mounts", []) if m.get("Type") == "volume"}
        return run

    def down(self) -> float:
        started = time.perf_counter()
        run_checked([*self.base, "down", "-v", "--remove-orphans"], cwd=self.repo, env=self.env)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="counted runs per side, alternating")
    parser.add_argument("--postgres", type=int, default=10)
    parser.add_argument("--redis", type=int, default=10)
    args = parser.parse_args()
    services = args.postgres + args.redis

    import docker

    client = docker.from_env()
    client.ping()
    compose = compose_command()
    version = run_checked([*compose, "version", "--short"]).stdout.strip()
    tag = uuid.uuid4().hex[:8]
    stack, project = f"bench-up20-{tag}", f"benchup20{tag}"
    print(
        f"{services} services ({args.postgres} postgres:15, {args.redis} redis:7); envsim stack {stack} vs "
        f"{' '.join(compose)} {version} project {project}; {args.rounds} rounds each, after one warm-up",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="bench-up20-") as directory:
        repo = Path(directory)
        (repo / ".git").mkdir()
        (repo / "profiles").mkdir()
        services = bench_services(args.postgres, args.redis)
        (repo / "profiles" / "bench.yaml").write_text(profile_yaml(services))
        (repo / "docker-compose.yml").write_text(compose_yaml(services))
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
        env["ENVSIM_STATE_DIR"] = str(repo / "state")
        env["BENCH_DB_PASSWORD"] = secrets.token_hex(16)
        envsim_side = EnvsimSide(repo, stack, env, client)
        compose_side = ComposeSide(repo, project, compose, env, client, services)
        runs: dict[str, list[Run]] = {"envsim": [], "compose": []}
        try:
            warm = envsim_side.up(), envsim_side.down(), compose_side.up(), compose_side.down()
            print(f"warm-up done (envsim {warm[0].wall:.2f} s, compose {warm[2].wall:.2f} s)", flush=True)
            for round_number in range(args.rounds):
                sides = [("envsim", envsim_side), ("compose", compose_side)]
                for name, side in sides[:: -1 if round_number % 2 else 1]:  # alternate who goes first
                    run = side.up()
                    runs[name].append(run)
                    side.down()
                    print(f"round {round_number + 1}: {name:7s} {run.wall:6.2f} s", flush=True)
        finally:
            for cleanup in (envsim_side.down, compose_side.down):
                try:
                    cleanup()
                except (Exception, SystemExit) as error:  # the other side is still cleaned up
                    print(f"cleanup failed: {error}", file=sys.stderr)
            remaining = leftovers(client, envsim_side) + leftovers(client, compose_side)

    envsim_median = statistics.median(r.wall for r in runs["envsim"])
    compose_median = statistics.median(r.wall for r in runs["compose"])
    print()
    for side, shown, median in (("envsim", "envsim up", envsim_median), ("compose", " ".join(compose), compose_median)):
        print(f"{shown:22s} median {median:6.2f} s  runs {', '.join(f'{r.wall:.2f}' for r in runs[side])}")
    print(
        f"ratio envsim/compose {envsim_median / compose_median:.2f}x; envsim under {GOAL_SECONDS:.0f} s warm: "
        f"{'yes' if envsim_median < GOAL_SECONDS else 'NO'}"
    )
    print(f"envsim ran {runs['envsim'][-1].proxies} Toxiproxy container(s) in front of the services (counted)")
    print(f"leftovers after cleanup: {', '.join(remaining) if remaining else 'none'}")


if __name__ == "__main__":
    main()
