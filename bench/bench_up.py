"""Wall time of `envsim up` next to `docker-compose up` for the same three services, health-gated.

Both sides start the example shop (db, cache, api) from the same local images, with the same
env, dependency order (api after db and cache are healthy), health checks and 1 s interval.
Counted until every service passes its check: for envsim, `envsim up bench --no-pull` as a
subprocess (start-up, image checks, Toxiproxy in front of every service and the schema seed
included; it exits once the api answers /healthz); for compose, `docker-compose up -d`
(depends_on: service_healthy; schema through /docker-entrypoint-initdb.d) and then polling
the engine until every container's Docker health status is `healthy`.

One warm-up per side (not counted; it tags the api image), then alternating rounds; prints
medians, the ratio envsim/compose (goal <= 1.0x) and where each side's time went. Asserts
nothing. Unique stack/project names and a private ENVSIM_STATE_DIR; all is removed after and
leftovers are reported. Installs Debian's docker-compose when neither compose is present.

    python bench/bench_up.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_RATIO = 1.0
HEALTH_DEADLINE = 180.0  # seconds; a side that is not healthy by then fails the bench run

# The envsim profile and the compose file for the same services, kept beside this script.
FILES = Path(__file__).resolve().parent / "up_files"
PROFILE = (FILES / "bench.yaml").read_text(encoding="utf-8")
COMPOSE = (FILES / "docker-compose.yml.template").read_text(encoding="utf-8")


STEP_LINE = re.compile(r"^\s*(\d+\.\d)s (\S+) (.*)$")


@dataclass
class Run:
    side: str
    wall: float
    phases: dict[str, float] = field(default_factory=dict)  # phase name -> seconds
    image_ids: dict[str, str] = field(default_factory=dict)  # service -> image id
    proxies: int = 0  # Toxiproxy containers envsim ran besides the services


# --------------------------------------------------------------------------- tools


def compose_command() -> list[str]:
    """`docker compose` when the plugin is there, else docker-compose, installed from Debian if missing."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose") is None:
        print("docker-compose not found: installing Debian's package (apt-get install -y docker-compose)", flush=True)
        install = ["apt-get", "install", "-y", "-q", "docker-compose"]
        if subprocess.run(install, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            result = subprocess.run(install, capture_output=True, text=True)
            if result.returncode != 0:
                raise SystemExit(f"could not install docker-compose:\n{result.stderr[-2000:]}")
    return ["docker-compose"]


def run_checked(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
        )
    return result


def make_repo(directory: Path) -> None:
    """A throwaway checkout: the example app and one profile, so paths resolve as in the repo."""
    (directory / ".git").mkdir()
    shutil.copytree(REPO / "examples", directory / "examples")
    (directory / "profiles").mkdir()
    (directory / "profiles" / "bench.yaml").write_text(PROFILE)


def engine_time(stamp: str) -> float:
    """An engine RFC 3339 timestamp (nanoseconds, Z) as epoch seconds."""
    head, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(head + "+00:00").timestamp() + float("0." + (fraction or "0")[:6])


# --------------------------------------------------------------------------- envsim side


class EnvsimSide:
    def __init__(self, repo: Path, stack: str, env: dict[str, str], client):
        self.repo, self.stack, self.env, self.client = repo, stack, env, client
        self.label = f"envsim.stack={stack}"
        self.volumes: set[str] = set()  # anonymous volumes carry no label: remembered to check them

    def _envsim(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "envsim", *args]

    def up(self) -> Run:
        """Time `envsim up`; progress lines are stamped as they arrive to split the wall time."""
        stamps: list[tuple[float, str, str]] = []  # (seconds since start, subject, message)
        started = time.perf_counter()
        process = subprocess.Popen(
            self._envsim("up", "bench", "--name", self.stack, "--no-pull"),
            cwd=self.repo,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        stderr_lines: list[str] = []

        def read_progress() -> None:
            for line in process.stderr:
                stderr_lines.append(line)
                match = STEP_LINE.match(line)
                if match:
                    stamps.append((time.perf_counter() - started, match.group(2), match.group(3)))

        reader = threading.Thread(target=read_progress, daemon=True)
        reader.start()
        stdout = process.stdout.read()
        process.wait(timeout=HEALTH_DEADLINE)
        wall = time.perf_counter() - started
        reader.join(5)
        if process.returncode != 0:
            raise SystemExit(f"envsim up failed ({process.returncode}):\n{stdout}{''.join(stderr_lines)[-4000:]}")
        run = Run("envsim", wall, envsim_phases(stamps, wall))
        for container in self.client.containers.list(all=True, filters={"label": self.label}):
            if container.labels.get("envsim.role") == "toxiproxy":
                run.proxies += 1
            else:
                run.image_ids[container.labels.get("envsim.service", container.name)] = container.attrs["Image"]
            self.volumes |= {m["Name"] for m in container.attrs.get("Mounts", []) if m.get("Type") == "volume"}
        return run

    def down(self, *, images: bool = False) -> float:
        started = time.perf_counter()
        run_checked(
            self._envsim("down", "--name", self.stack, *(["--images"] if images else [])), cwd=self.repo, env=self.env
        )
        return time.perf_counter() - started


def envsim_phases(stamps: list[tuple[float, str, str]], wall: float) -> dict[str, float]:
    """Split envsim's wall time at its progress lines (first matching line of each kind)."""

    def at(subject: str, prefix: str) -> float | None:
        return next((t for t, s, m in stamps if s == subject and m.startswith(prefix)), None)

    first = stamps[0][0] if stamps else wall
    marks = {
        "toxiproxy starting": at("toxiproxy", "starting"),
        "toxiproxy ready": at("toxiproxy", "ready"),
        "db waiting": at("db", "waiting"),
        "db seeding": at("db", "seeding"),
        "db healthy": at("db", "healthy"),
        "cache healthy": at("cache", "healthy"),
        "api starting": at("api", "starting"),
        "api healthy": at("api", "healthy"),
    }
    if any(v is None for v in marks.values()):
        return {"start-up (no progress lines parsed)": wall}
    deps_ready = max(marks["db healthy"], marks["cache healthy"])
    return {
        "start-up: interpreter, imports, load, plan, engine, reaper": first,
        "images check": marks["toxiproxy starting"] - first,
        "toxiproxy container + API + proxies": marks["toxiproxy ready"] - marks["toxiproxy starting"],
        "db/cache containers create/start": marks["db waiting"] - marks["toxiproxy ready"],
        "db start -> pg_isready passes (checked every 1 s)": marks["db seeding"] - marks["db waiting"],
        "schema seed (psql in container)": marks["db healthy"] - marks["db seeding"],
        "waiting for the slower of db/cache": deps_ready - marks["db healthy"],
        "api create/start": marks["api starting"] - deps_ready,
        "api start -> /healthz 200": marks["api healthy"] - marks["api starting"],
        "after healthy: status, exit": wall - marks["api healthy"],
    }


# --------------------------------------------------------------------------- compose side


class ComposeSide:
    def __init__(self, repo: Path, project: str, compose: list[str], env: dict[str, str], client):
        self.repo, self.project, self.env, self.client = repo, project, env, client
        self.base = [*compose, "-p", project, "-f", str(repo / "docker-compose.yml")]
        self.label = f"com.docker.compose.project={project}"
        self.volumes: set[str] = set()

    def write(self, api_image: str) -> None:
        (self.repo / "docker-compose.yml").write_text(COMPOSE.replace("@API_IMAGE@", api_image))

    def _containers(self) -> list:
        return self.client.containers.list(all=True, filters={"label": self.label})

    def up(self) -> Run:
        started_epoch, started = time.time(), time.perf_counter()
        run_checked([*self.base, "up", "-d"], cwd=self.repo, env=self.env)
        returned = time.perf_counter() - started
        while True:
            containers = self._containers()
            states = [c.attrs["State"] for c in containers]
            if len(states) == 3 and all((s.get("Health") or {}).get("Status") == "healthy" for s in states):
                break
            for container, state in zip(containers, states):
                if state.get("Status") in ("exited", "dead"):
                    raise SystemExit(f"compose: {container.name} exited:\n{container.logs(tail=20).decode()}")
            if time.perf_counter() - started > HEALTH_DEADLINE:
                raise SystemExit(
                    f"compose: not healthy after {HEALTH_DEADLINE:g}s: "
                    + ", ".join(f"{c.name} {(s.get('Health') or {}).get('Status')}" for c, s in zip(containers, states))
                )
            time.sleep(0.1)  # each poll inspects 3 containers; keep it off a 2-core CPU
        wall = time.perf_counter() - started
        run = Run("compose", wall)
        for container in containers:
            service = container.labels.get("com.docker.compose.service", container.name)
            run.image_ids[service] = container.attrs["Image"]
            self.volumes |= {m["Name"] for m in container.attrs.get("Mounts", []) if m.get("Type") == "volume"}
            healthy_at = first_passing_check(container.attrs["State"])
            if healthy_at is not None:
                run.phases[f"{service} healthy at (engine log)"] = healthy_at - started_epoch
        run.phases["`up -d` returned (db+cache healthy, api started)"] = returned
        run.phases["all healthy, seen by polling"] = wall
        run.phases = dict(sorted(run.phases.items(), key=lambda item: item[1]))
        return run

    def down(self) -> float:
        started = time.perf_counter()
        run_checked([*self.base, "down", "-v", "--remove-orphans"], cwd=self.repo, env=self.env)
        return time.perf_counter() - started


def first_passing_check(state: dict) -> float | None:
    for entry in (state.get("Health") or {}).get("Log") or []:
        if entry.get("ExitCode") == 0:
            return engine_time(entry["End"])
    return None


# --------------------------------------------------------------------------- shared


def leftovers(client, side) -> list[str]:
    """What is still on the engine of one side: labeled resources and the volumes it mounted."""
    from docker.errors import NotFound

    found = [f"container {c.name}" for c in client.containers.list(all=True, filters={"label": side.label})]
    found += [f"network {n.name}" for n in client.networks.list(filters={"label": side.label})]
    found += [f"volume {v.name}" for v in client.volumes.list(filters={"label": side.label})]
    for name in sorted(side.volumes):
        try:
            client.volumes.get(name)
            found.append(f"volume {name}")
        except NotFound:
            pass
    return found


def print_phases(title: str, runs: list[Run]) -> None:
    print(f"  {title} (median over {len(runs)} rounds):")
    for phase in runs[0].phases:
        values = [r.phases[phase] for r in runs if phase in r.phases]
        print(f"    {statistics.median(values):6.2f} s  {phase}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="counted runs per side, alternating")
    args = parser.parse_args()

    import docker

    client = docker.from_env()
    client.ping()
    compose = compose_command()
    version = run_checked([*compose, "version", "--short"]).stdout.strip()
    tag = uuid.uuid4().hex[:8]
    stack, project = f"bench-up-{tag}", f"benchup{tag}"
    print(
        f"envsim stack {stack} vs {' '.join(compose)} {version} project {project}; {args.rounds} rounds each",
        flush=True,
    )

    with tempfile.TemporaryDirectory(prefix="bench-up-") as directory:
        repo = Path(directory)
        make_repo(repo)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
        env["ENVSIM_STATE_DIR"] = str(repo / "state")
        env["BENCH_DB_PASSWORD"] = secrets.token_hex(16)
        envsim_side = EnvsimSide(repo, stack, env, client)
        compose_side = ComposeSide(repo, project, compose, env, client)
        envsim_runs: list[Run] = []
        compose_runs: list[Run] = []
        teardown: dict[str, list[float]] = {"envsim": [], "compose": []}
        try:
            # Warm-up (not counted): builds/tags the api image envsim uses, which compose then runs.
            compose_side.write(f"envsim-{stack}/api:latest")
            warm = envsim_side.up()
            envsim_side.down()
            compose_side.up()
            compose_side.down()
            print(f"warm-up done (envsim {warm.wall:.2f} s)", flush=True)
            for round_number in range(args.rounds):
                sides = [("envsim", envsim_side, envsim_runs), ("compose", compose_side, compose_runs)]
                if round_number % 2:
                    sides.reverse()  # alternate who goes first, so drift on the machine hits both
                for name, side, runs in sides:
                    run = side.up()
                    runs.append(run)
                    teardown[name].append(side.down())
                    print(f"round {round_number + 1}: {name:7s} {run.wall:6.2f} s", flush=True)
        finally:
            for cleanup in (lambda: envsim_side.down(images=True), compose_side.down):
                try:
                    cleanup()
                except (Exception, SystemExit) as error:  # the other side is still cleaned up
                    print(f"cleanup failed: {error}", file=sys.stderr)
            remaining = leftovers(client, envsim_side) + leftovers(client, compose_side)
            remaining += [f"image {t}" for image in client.images.list(name=f"envsim-{stack}/api") for t in image.tags]

    envsim_median = statistics.median(r.wall for r in envsim_runs)
    compose_median = statistics.median(r.wall for r in compose_runs)
    ratio = envsim_median / compose_median
    print()
    print(f"envsim up          median {envsim_median:6.2f} s  runs {', '.join(f'{r.wall:.2f}' for r in envsim_runs)}")
    print(
        f"{' '.join(compose):17s}  median {compose_median:6.2f} s  runs "
        f"{', '.join(f'{r.wall:.2f}' for r in compose_runs)}"
    )
    print(
        f"ratio envsim/compose {ratio:.2f}x (goal <= {GOAL_RATIO:.1f}x: {'met' if ratio <= GOAL_RATIO else 'NOT met'})"
    )
    ours, theirs = envsim_runs[-1].image_ids, compose_runs[-1].image_ids
    shared = all(ours.get(s) and ours.get(s) == theirs.get(s) for s in ("db", "cache", "api"))
    print(
        f"same image ids for db, cache, api: {'yes' if shared else f'NO: {ours} vs {theirs}'}; envsim also ran "
        f"{envsim_runs[-1].proxies} Toxiproxy container(s) in front of the services (counted in its time)"
    )
    print()
    print_phases("envsim up, by progress line", envsim_runs)
    print_phases("compose, seconds since start", compose_runs)
    print(
        f"  teardown (not counted): envsim down median {statistics.median(teardown['envsim']):.2f} s, "
        f"compose down -v median {statistics.median(teardown['compose']):.2f} s"
    )
    print(f"leftovers after cleanup: {', '.join(remaining) if remaining else 'none'}")


if __name__ == "__main__":
    main()
