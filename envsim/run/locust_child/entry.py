"""The Locust child's command line: which role this process plays (see roles and distributed)."""

from __future__ import annotations

import argparse
import json
import sys

from envsim.run.locust_child import STATS_MARKER
from envsim.run.locust_child.distributed import WorkerRefused, run_master, run_worker
from envsim.run.locust_child.roles import StatsOut, run_local
from envsim.run.locust_child.users import LocustfileProblem
from envsim.run.open_files import warn_if_short_of_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="envsim.run.locust_child")
    parser.add_argument("config", nargs="?")  # a worker joining from elsewhere gets it from the master
    parser.add_argument("--stats-fd", type=int, default=None)
    parser.add_argument("--stats-stdout", action="store_true")  # in a pod: stdout, read from its log
    parser.add_argument("--role", choices=("local", "master", "worker"), default="local")
    parser.add_argument("--master-host", default="127.0.0.1")  # the master binds it, workers connect to it
    parser.add_argument("--master-port", type=int, default=0)
    parser.add_argument("--name", default="")  # a worker's name in the journal
    args = parser.parse_args(argv)
    config = None
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            config = json.load(handle)
    out = StatsOut(1, STATS_MARKER) if args.stats_stdout else StatsOut(args.stats_fd)
    if config is not None:  # a worker from elsewhere raises it once its master sent the config
        warn_if_short_of_files(config)
    try:
        if args.role == "worker":
            run_worker(args.master_host, args.master_port, args.name, local=config is not None)
        elif config is None:
            parser.error("a config file is needed for this role")
        elif args.role == "local":
            run_local(config, out)
        else:
            run_master(config, out, args.master_host, args.master_port)
    except LocustfileProblem as exc:
        out.send({"type": "error", "kind": "input", "message": str(exc)})
        return 2
    except WorkerRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0
