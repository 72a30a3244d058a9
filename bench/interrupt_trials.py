"""Interruption trials: `envsim up` and `envsim run` stopped at random points by SIGINT,
SIGTERM or SIGKILL, then everything they could leave behind counted.

Trials alternate between two profiles that together hold every network fault kind: the
trials' namespace profile (prod-like with packet loss and a narrow link on the api's own link,
and DNS faults, an answer and a delay, for its lookups of the cache: helpers in its network
namespace), and the shop's network profile (a per-link fault and a partition, on link
Toxiproxies of their own; HTTP faults, errors and a delay, in the HAProxy front of its real api).
Each scenario also holds toxics and a proxy down.

After SIGINT/SIGTERM: exit 130 (or the command had already finished), and no container (link
Toxiproxies and HAProxy fronts included), network or volume of the stack, no Toxiproxy toxic,
no HTTP fault switched on in an HAProxy front, no Locust process left. After SIGKILL:
no Locust process outlives its parent for more than a few seconds, and the next `envsim down`
leaves nothing. A third kind of trial, `run --no-up`, interrupts runs on a stack of each
profile that stays up: then no network helper may be left running, no iptables chain or qdisc
of a link or DNS fault in the api's network namespace, no toxic and no HTTP fault switched on
(after SIGKILL: once the helpers' time-to-live is over; the killed run's faults are then
cleared with `envsim fault clear`). Prints the trials, the exit codes seen, leftovers by kind
and the slowest clean-up; exits 1 when anything was left.

    python bench/interrupt_trials.py [--trials 100] [--seed 1] [--side-by-side]

--side-by-side runs the two profiles' trials at the same time, each profile's in their order,
with a state directory each (a Locust process is counted against its own profile's trials
only); the trials are the same for a seed either way.

Needs the Docker engine and images the tests use (scripts/test-setup.sh).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from stack_leftovers import active_toxics, http_switches_on, leftovers, link_rules

REPO = Path(__file__).resolve().parents[1]
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
# prod-like with the faults of profiles/network-namespace.yaml, aimed at the cache's name rather
# than the payments provider's, so no MockServer start weighs on each trial
NAMESPACE_PROFILE = """
envsim: 1
name: trial-namespace
extends: prod-like
failure_modes:
  api-lossy: {target: api, packet_loss: 30%}
  api-narrow: {target: api, link_bandwidth: 64kbit}
  cache-unresolvable: {target: api, dns: {name: cache, answer: servfail}}
  cache-slow-dns: {target: api, dns: {name: cache, delay: 500ms}}
"""


def scenario(profile: str, *timeline: str) -> str:
    """A ten-second run of the shop under light load with the timeline's faults."""
    steps = "".join(f"  - {step}\n" for step in timeline)
    return f"""
envsim: 1
profile: {profile}
load:
  target: api
  users: 3
  spawn_rate: 3
  duration: 10s
  tasks: [{{name: browse, request: "GET /products/db"}}]
timeline:
{steps}checks: [{{metric: error_rate, below: 50%}}]
reports: {{dir: ../out}}
"""


SCENARIO = scenario(
    "trial-namespace",
    "{at: 1s, for: 3s, fault: api-lossy}",
    "{at: 2s, for: 4s, fault: db-slow}",
    "{at: 4s, for: 2s, fault: cache-slow-dns}",
    "{at: 5s, for: 2s, fault: api-narrow}",
    "{at: 7s, for: 2s, fault: cache-down}",
    "{at: 8s, for: 2s, fault: cache-unresolvable}",
)
# the same load on the network profile: a fault on one client's link, then a partition, and HTTP
# faults in the HAProxy front of its api
NETWORK_SCENARIO = scenario(
    "network",
    "{at: 1s, for: 3s, fault: db-slow-for-api}",
    "{at: 2s, for: 4s, fault: db-slow}",
    "{at: 3s, for: 5s, fault: api-flaky}",
    "{at: 7s, for: 2s, fault: api-cache-split}",
    "{at: 8s, for: 2s, fault: api-slow}",
    "{at: 9s, for: 1s, fault: cache-down}",
)
PROFILES = {"trial-namespace": "scenarios/trial.yaml", "network": "scenarios/trial-network.yaml"}
LONGEST = {"up": 12.0, "run": 26.0, "run --no-up": 14.0}  # past these the command has usually finished
RUN_ID = uuid.uuid4().hex[:6]
# `run --no-up` trials run on these; each up before its first trial, down after the last
KEPT = {"trial-namespace": f"trial-kept-{RUN_ID}", "network": f"trial-kept-net-{RUN_ID}"}
HELPER_TTL = 3.0 + 5.0  # the longest helper fault's window plus the least margin: rules live no longer


def locust_children(state_dir: str) -> list[int]:
    """Locust processes started by this bench's envsim commands (their environment names its
    state directory), so other envsim runs on the machine are not counted."""
    marker = f"ENVSIM_STATE_DIR={state_dir}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"envsim.run.locust_child" in (entry / "cmdline").read_bytes() and marker in (
                    entry / "environ"
                ).read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass(frozen=True)
class Trial:
    number: int
    profile: str
    command: str  # "up", "run" or "run --no-up"
    signal: str  # a key of SIGNALS
    delay: float  # seconds from the start to the signal


def draw_trials(count: int, rng: random.Random) -> list[Trial]:
    """The trials of a seed, drawn up front so that running them side by side changes none."""
    trials = []
    for number in range(1, count + 1):
        command = rng.choice(["up", "run", "run --no-up"])
        name = rng.choice(list(SIGNALS))
        delay = rng.uniform(0.3, LONGEST[command])
        trials.append(Trial(number, list(PROFILES)[(number - 1) % len(PROFILES)], command, name, delay))
    return trials


class Trials:
    def __init__(self, project: Path, state: Path):
        self.project = project
        self.env = {**os.environ, "ENVSIM_STATE_DIR": str(state), "NO_COLOR": "1"}
        from envsim.engine.docker_engine import connect

        self.client = connect()
        self.by_kind: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.slowest = (0.0, "")
        self.problems: list[str] = []
        self.exit_codes: Counter[str] = Counter()  # "SIGINT 130", "SIGKILL -9", ... as seen
        self.kept_up: set[str] = set()  # profiles whose kept stack is up

    def envsim(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "envsim", *args],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            **kwargs,
        )

    def trial(self, plan: Trial) -> None:
        number, profile, command, name, delay = plan.number, plan.profile, plan.command, plan.signal, plan.delay
        if command == "run --no-up":
            stack = self.kept(profile)
            args = ["run", PROFILES[profile], "--no-up"]
        else:
            stack = f"trial-{uuid.uuid4().hex[:6]}"
            args = ["up", profile] if command == "up" else ["run", PROFILES[profile]]
        process = subprocess.Popen(
            [sys.executable, "-m", "envsim", *args, "--name", stack],
            cwd=self.project,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        finished_before = process.poll() is not None
        signalled = time.monotonic()
        if not finished_before:
            process.send_signal(SIGNALS[name])
        try:
            _, stderr = process.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
            self.problems.append(f"trial {number}: {command} did not stop within 180 s after {name}")
        cleanup = time.monotonic() - signalled
        self.exit_codes[f"{name} {process.returncode}" + (" (finished first)" if finished_before else "")] += 1
        if name != "SIGKILL" and process.returncode in (0, 1):
            finished_before = True  # the signal came as it was printing its result: the work was done
        label = f"{profile} {command} {name}" + (" (finished first)" if finished_before else "")
        self.outcomes[label] += 1
        if name != "SIGKILL" and not finished_before:
            if process.returncode != 130:
                self.problems.append(
                    f"trial {number}: {command} after {name} at {delay:.1f}s exited "
                    f"{process.returncode}: {stderr[-300:]}"
                )
            if cleanup > self.slowest[0]:
                self.slowest = (cleanup, f"{command} {name} at {delay:.1f}s")
        self._count(number, stack, profile, command, name, finished_before)

    def kept(self, profile: str) -> str:
        if profile not in self.kept_up:
            done = self.envsim("up", profile, "--name", KEPT[profile])
            if done.returncode != 0:
                raise SystemExit(f"could not bring up {KEPT[profile]}: {done.stderr[-500:]}")
            self.kept_up.add(profile)
        return KEPT[profile]

    def _count(self, number: int, stack: str, profile: str, command: str, name: str, finished_before: bool) -> None:
        deadline = time.monotonic() + 5  # a Locust child notices a dead parent within a second or two
        while locust_children(self.env["ENVSIM_STATE_DIR"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        orphans = locust_children(self.env["ENVSIM_STATE_DIR"])
        if orphans:
            self.by_kind["locust processes"] += len(orphans)
            self.problems.append(
                f"trial {number}: {command} {name}: {len(orphans)} Locust processes outlived it by 5 s"
            )
            for pid in orphans:
                os.kill(pid, signal.SIGKILL)
        if command == "run --no-up":
            self._count_kept(number, stack, profile, name)
            return
        if name == "SIGKILL" or (command == "up" and finished_before):
            # an up that finished keeps its stack by design; a killed command leaves it to the reaper
            done = self.envsim("down", profile, "--name", stack)
            if done.returncode != 0:
                self.problems.append(
                    f"trial {number}: down after {name} exited {done.returncode}: {done.stderr[-300:]}"
                )
        left = leftovers(self.client, stack)
        for kind, count in left.items():
            self.by_kind[kind] += count
            self.problems.append(f"trial {number}: {command} {name}: {count} {kind} left")
        if left:
            self.envsim("down", profile, "--name", stack)
        self._remove_images(stack)

    def _count_kept(self, number: int, stack: str, profile: str, name: str) -> None:
        """The stack stays up: its faults must be gone from it (a killed run's once their helpers'
        time-to-live is over; the next run's start clears them as well)."""
        if name == "SIGKILL":
            time.sleep(HELPER_TTL + 1.0)
        for kind, count in link_rules(self.client, stack).items():
            self.by_kind[f"link {kind}"] += count
            self.problems.append(f"trial {number}: run --no-up {name}: {count} link {kind} left")
        if name == "SIGKILL":
            # a killed run's toxics stay until something clears them; the next trial may be
            # stopped before its own run clears them, so they are cleared here, as a user would
            done = self.envsim("fault", "clear", "--profile", profile, "--name", stack)
            if done.returncode != 0:
                self.problems.append(f"trial {number}: fault clear after SIGKILL exited {done.returncode}")
        if active_toxics(self.client, stack):
            self.by_kind["toxics"] += 1
            self.problems.append(f"trial {number}: run --no-up {name}: toxics left")
        switches = http_switches_on(self.client, stack)
        if switches:
            self.by_kind["http fault switches"] += switches
            self.problems.append(f"trial {number}: run --no-up {name}: {switches} HTTP fault switches left on")

    def _remove_images(self, stack: str) -> None:
        """The api image built for this trial's stack: removing stacks keeps their images by
        design (`down --images` removes them), and a hundred trials would leave a hundred."""
        from envsim.engine.teardown import remove_stack_images

        remove_stack_images(self.client, stack)


def run_lane(project: Path, state: Path, plans: list[Trial], total: int) -> Trials:
    """The trials in `plans` one after the other, then the kept stacks down and counted."""
    trials = Trials(project, state)
    try:
        for plan in plans:
            trials.trial(plan)
            print(f"trial {plan.number}/{total} done", file=sys.stderr, flush=True)
    finally:
        for profile in trials.kept_up:
            trials.envsim("down", profile, "--name", KEPT[profile])
    for profile in {plan.profile for plan in plans}:
        for kind, count in leftovers(trials.client, KEPT[profile]).items():
            trials.by_kind[kind] += count
            trials.problems.append(f"{KEPT[profile]}: {count} {kind} left after its down")
        trials._remove_images(KEPT[profile])
    return trials


def run_lanes(project: Path, state: Path, plans: list[Trial], side_by_side: bool) -> list[Trials]:
    if not side_by_side:
        return [run_lane(project, state, plans, len(plans))]
    lanes = {profile: [plan for plan in plans if plan.profile == profile] for profile in PROFILES}
    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        futures = [
            pool.submit(run_lane, project, state / profile, lane, len(plans)) for profile, lane in lanes.items() if lane
        ]
        return [future.result() for future in futures]


def write_project(project: Path) -> None:
    for name in ("profiles", "examples"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "profiles" / "trial-namespace.yaml").write_text(NAMESPACE_PROFILE, encoding="utf-8")
    (project / "scenarios").mkdir()
    (project / "scenarios" / "trial.yaml").write_text(SCENARIO, encoding="utf-8")
    (project / "scenarios" / "trial-network.yaml").write_text(NETWORK_SCENARIO, encoding="utf-8")
    (project / ".git").mkdir()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--side-by-side", action="store_true", help="the two profiles' trials at the same time")
    args = parser.parse_args()
    plans = draw_trials(args.trials, random.Random(args.seed))
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory) / "repo"
        write_project(project)
        lanes = run_lanes(project, Path(directory) / "state", plans, args.side_by_side)
    outcomes = sum((lane.outcomes for lane in lanes), Counter())
    exit_codes = sum((lane.exit_codes for lane in lanes), Counter())
    by_kind = sum((lane.by_kind for lane in lanes), Counter())
    slowest = max((lane.slowest for lane in lanes), default=(0.0, ""))
    problems = [problem for lane in lanes for problem in lane.problems]
    print(f"trials            {args.trials} in {time.monotonic() - started:.0f}s (seed {args.seed})")
    for label, count in sorted(outcomes.items()):
        print(f"  {label:<32} {count}")
    print("exit codes        " + ", ".join(f"{code}: {n}" for code, n in sorted(exit_codes.items())))
    print(f"leftovers         {sum(by_kind.values())}" + "".join(f"  {k}: {n}" for k, n in sorted(by_kind.items())))
    print(f"slowest clean-up  {slowest[0]:.1f}s ({slowest[1] or 'none'})")
    for problem in problems:
        print(f"problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
