"""Bad input at scale: mutated profiles, scenarios and journals through the loader, validator,
planner and verdict. Every case must end in a result or in located problems (exit 2), never
in a traceback.

Inputs are every profile and scenario in this repo, `envsim init`'s scaffold, and a journal of
a run of scenarios/checkout.yaml; each case mutates one of them (its YAML/JSON tree: values
replaced by hostile ones, keys deleted, renamed or added; or its text: characters dropped,
lines repeated, bytes inserted). Prints the counts; exits 1 if any case raised a traceback.

    python bench/fuzz_inputs.py [--cases 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
ENV = {"APP_IMAGE": "app:1", "HOME": "/nonexistent"}
HOSTILE = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    10**12,
    "",
    "x",
    "1s",
    "-5s",
    "20%",
    "150%",
    "64k",
    "1e309",
    "${secret.nope}",
    "${secret.db_password}",
    "${env.NOPE}",
    "${",
    "$$",
    "GET /x",
    "api",
    "db",
    "db-slow",
    "../../etc/passwd",
    "/etc/passwd",
    "http",
    "browse",
    "\x00",
    "é" * 50,
    [],
    {},
    [1, [2]],
    {"a": {"b": None}},
    "*alias",
    "!!python/object:os.system",
    "during:nope",
    "after:db-slow",
]


def paths_of(tree, prefix=()):
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from paths_of(value, prefix + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from paths_of(value, prefix + (index,))


def mutate_tree(tree, rng: random.Random):
    tree = copy.deepcopy(tree)
    for _ in range(rng.randint(1, 4)):
        paths = [p for p in paths_of(tree) if p]
        if not paths:
            return rng.choice(HOSTILE)
        path = rng.choice(paths)
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        last, action = path[-1], rng.choice(["replace", "delete", "rename", "add", "swap"])
        if action == "replace":
            parent[last] = copy.deepcopy(rng.choice(HOSTILE))
        elif action == "delete":
            del parent[last]
        elif action == "rename" and isinstance(parent, dict):
            parent[rng.choice(["tasks", "target", "x", "", "envsim", "name", "extends", "for"])] = parent.pop(last)
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][rng.choice(["seed", "publish", "stub", "ttl", "zzz", "checks"])] = copy.deepcopy(
                rng.choice(HOSTILE)
            )
        elif action == "swap":
            other = rng.choice(paths)
            holder = tree
            for part in other[:-1]:
                holder = holder[part]
            try:
                parent[last], holder[other[-1]] = copy.deepcopy(holder[other[-1]]), copy.deepcopy(parent[last])
            except (KeyError, IndexError, TypeError):
                pass
    return tree


def mutate_text(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        action = rng.choice(["drop-char", "repeat-line", "insert", "drop-line", "indent"])
        if action == "drop-char" and lines[i]:
            j = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:j] + lines[i][j + 1 :]
        elif action == "repeat-line":
            lines.insert(i, lines[i])
        elif action == "insert":
            lines[i] = (
                rng.choice(["&a ", "*a", "? ", "- ", "{", "]", "\t", ": ", "!!binary ", "'", "%", "\ufeff"]) + lines[i]
            )
        elif action == "drop-line":
            del lines[i]
        else:
            lines[i] = "  " + lines[i]
    return "".join(lines)


class Fuzzer:
    def __init__(self, root: Path, seed: int):
        self.root = root
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        self.tracebacks: list[str] = []
        self.inputs = sorted(p for p in (root / "profiles").glob("*.yaml")) + sorted(
            (root / "scenarios").glob("*.yaml")
        )
        self.originals = {p: p.read_text(encoding="utf-8") for p in self.inputs}
        self.journal_text = make_journal(root)

    def case(self) -> None:
        if self.rng.random() < 0.2:
            self._journal_case()
        else:
            self._file_case(self.rng.choice(self.inputs))

    def _file_case(self, path: Path) -> None:
        from envsim.config import validate_paths

        original = self.originals[path]
        if self.rng.random() < 0.6:
            text = yaml.safe_dump(mutate_tree(yaml.safe_load(original), self.rng), allow_unicode=True, sort_keys=False)
        else:
            text = mutate_text(original, self.rng)
        path.write_text(text, encoding="utf-8")
        try:
            problems = validate_paths([path], ENV)
            if problems:
                self.counts["rejected"] += 1
                if any(p.line < 1 or p.col < 1 or not p.file for p in problems):
                    self.counts["rejected without a location"] += 1
            else:
                self.counts["accepted"] += 1
                self._plan(path)
        except Exception:  # the finding this bench exists for
            self._traceback(path, text)
        finally:
            path.write_text(original, encoding="utf-8")

    def _plan(self, path: Path) -> None:
        from envsim import api
        from envsim.plan.render import profile_plan_to_dict, scenario_to_dict, to_json

        resolved = api.plan(path)
        if isinstance(resolved, api.ProfilePlan):
            to_json(profile_plan_to_dict(resolved.stack, resolved.faults))
        else:
            to_json(scenario_to_dict(resolved))
        self.counts["planned"] += 1

    def _journal_case(self) -> None:
        from envsim import api
        from envsim.errors import InputError

        if self.rng.random() < 0.7:
            text = json.dumps(mutate_tree(json.loads(self.journal_text), self.rng))
        else:
            text = mutate_text(self.journal_text, self.rng)
        path = self.root / "out" / "journal.json"
        path.write_text(text, encoding="utf-8")
        try:
            journal = api.read_journal(path)
            verdict = api.judge(journal)
            api.report(journal, verdict, self.root / "out" / "reports", ("json", "junit", "markdown", "html"))
            self.counts["journals judged"] += 1
        except InputError as error:
            self.counts["journals rejected"] += 1
            if not str(error).startswith(str(path)):
                self.counts["rejected without a location"] += 1
        except Exception:
            self._traceback(path, text)

    def _traceback(self, path: Path, text: str) -> None:
        self.counts["tracebacks"] += 1
        if len(self.tracebacks) < 5:
            self.tracebacks.append(f"--- {path.name}\n{text[:1500]}\n{traceback.format_exc()}")


def make_journal(root: Path) -> str:
    """A journal of scenarios/checkout.yaml with a few seconds of plain data."""
    from envsim import api
    from envsim.journal import ALL_ENDPOINTS, FaultEvent, Journal, ProbeResult, StatsPoint

    scenario = api.load_scenario(root / "scenarios" / "checkout.yaml", env=ENV)
    plan = api.plan(scenario)
    series = tuple(
        StatsPoint(t, endpoint, 10, t % 3, ((40, 6), (120 + 10 * t, 4)), users=5)
        for t in range(30)
        for endpoint in (ALL_ENDPOINTS, "browse")
    )
    journal = Journal(
        run_id="fuzz",
        started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:00:30Z",
        duration=30.0,
        profile=scenario.profile.name,
        scenario=scenario.name,
        profile_digest="p",
        scenario_digest="s",
        environment={"python": "3.11"},
        planned_timeline=plan.timeline,
        checks=tuple(scenario.checks),
        series=series,
        faults=(FaultEvent("db-slow", "applied", 10, 10.1), FaultEvent("db-slow", "removed", 20, 20.1)),
        probes=(ProbeResult("check-1", 31, True, 5.0),),
    )
    return journal.to_json()


def run(cases: int, seed: int) -> tuple[Counter[str], list[str], float]:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / ".git").mkdir()
        for name in ("profiles", "scenarios", "examples"):
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        from envsim.cli.cmd_init import SCAFFOLD_FILES, scaffold_text

        for name in SCAFFOLD_FILES:  # the scaffold, as scaffold-*.yaml beside the repo's own
            target = root / name
            target.with_name(f"scaffold-{target.name}").write_text(scaffold_text(name), encoding="utf-8")
        (root / "out").mkdir()
        fuzzer = Fuzzer(root, seed)
        started = time.perf_counter()
        for _ in range(cases):
            fuzzer.case()
        return fuzzer.counts, fuzzer.tracebacks, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts, tracebacks, seconds = run(args.cases, args.seed)
    print(f"cases                        {args.cases} in {seconds:.0f}s (seed {args.seed})")
    for key in (
        "accepted",
        "planned",
        "rejected",
        "journals judged",
        "journals rejected",
        "rejected without a location",
        "tracebacks",
    ):
        print(f"{key:<28} {counts.get(key, 0)}")
    for text in tracebacks:
        print(text, file=sys.stderr)
    return 1 if counts.get("tracebacks") or counts.get("rejected without a location") else 0


if __name__ == "__main__":
    sys.exit(main())
