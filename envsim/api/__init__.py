"""envsim as a library: the one layer every front end (CLI, MCP server, pytest plugin) calls.

    import envsim.api as envsim

    with envsim.up("prod-like") as stack:            # removed on leaving the block
        url = stack.endpoint("api")                  # http://127.0.0.1:PORT through Toxiproxy
        with stack.fault("db-slow"):                 # reverted on exit, also on exceptions
            ...
    result = envsim.run("scenarios/checkout.yaml")   # RunResult: journal, verdict, report paths

Errors are envsim.errors exceptions, each with the exit code the CLI uses: InputError (2),
EnvironmentProblem (3), Interrupted (130). Importing this module imports neither docker nor
locust: the engine is reached on first use.
"""

import importlib
from typing import TYPE_CHECKING, Any

# name -> module: each is imported on first use, so `from envsim import api` stays cheap for
# commands that need one part (plan needs no engine, verdict no Docker).
_EXPORTS: dict[str, str] = {
    "ALL_ENDPOINTS": "envsim.journal",
    "ApplyProgress": "envsim.engine.apply",
    "attach": "envsim.api.stack",
    "by_kind": "envsim.config.fault_kinds",
    "CheckResult": "envsim.verdict",
    "console_observer": "envsim.run.progress",
    "Credential": "envsim.config.profile_model",
    "default_paths": "envsim.config.discover",
    "down": "envsim.api.stack",
    "duration_cuts": "envsim.plan.duration_cuts",
    "engine_address": "envsim.engine.docker_engine",
    "engine_unreachable": "envsim.engine.docker_engine",
    "EnvironmentProblem": "envsim.errors",
    "EnvsimError": "envsim.errors",
    "FailureMode": "envsim.config.fault_model",
    "FaultPlan": "envsim.plan.faults",
    "GateResult": "envsim.api.gate",
    "HealthCheck": "envsim.config.profile_model",
    "Holder": "envsim.engine.stack_hold",
    "holders": "envsim.api.stack",
    "http_fault": "envsim.config.fault_kinds.http",
    "ImageProgress": "envsim.images",
    "InputError": "envsim.errors",
    "Interrupted": "envsim.errors",
    "Journal": "envsim.journal",
    "judge": "envsim.api.runs",
    "kind_of_effect": "envsim.config.fault_kinds",
    "kubernetes_manifests": "envsim.api.manifests",
    "live_schema": "envsim.api.data",
    "load_any": "envsim.api.loading",
    "load_profile": "envsim.api.loading",
    "load_scenario": "envsim.api.loading",
    "WorkerOptions": "envsim.api.loading",
    "LOCUST_MASTER_PORT": "envsim.api.loading",
    "checked_publish_address": "envsim.engine.local_address",
    "join_run": "envsim.api.workers",
    "open_backend": "envsim.api.backends",
    "EngineChoice": "envsim.api.backends",
    "PlainProgress": "envsim.images",
    "plan": "envsim.api.loading",
    "prepare_images": "envsim.api.images",
    "PreparedImage": "envsim.api.images",
    "Profile": "envsim.config.profile_model",
    "profile_plan_to_dict": "envsim.plan.render",
    "ProfilePlan": "envsim.api.loading",
    "read_journal": "envsim.api.runs",
    "RemovedCounts": "envsim.engine.teardown",
    "report": "envsim.api.runs",
    "run": "envsim.api.runs",
    "run_gate": "envsim.api.gate",
    "running": "envsim.api.stack",
    "RunObserver": "envsim.run.progress",
    "RunResult": "envsim.api.runs",
    "RunStart": "envsim.run.progress",
    "Scenario": "envsim.config.scenario_model",
    "scenario_to_dict": "envsim.plan.render",
    "ScenarioPlan": "envsim.plan.scenario",
    "slow_check_lines": "envsim.reports.slow_cause",
    "seeded_data": "envsim.api.loading",
    "Service": "envsim.config.profile_model",
    "Stack": "envsim.api.stack",
    "stack_name_for": "envsim.api.loading",
    "stacks": "envsim.api.stack",
    "StackStatus": "envsim.engine.status",
    "status": "envsim.api.stack",
    "StubSpec": "envsim.config.profile_model",
    "Template": "envsim.config.template",
    "up": "envsim.api.stack",
    "validate_files": "envsim.config.loader",
    "Verdict": "envsim.verdict",
    "why_unreachable": "envsim.engine.docker_engine",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'envsim.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    # the model types and readers the front ends (the MCP server) use, so they reach only this layer
    from envsim.api.backends import EngineChoice, open_backend
    from envsim.api.data import live_schema
    from envsim.api.gate import GateResult, run_gate
    from envsim.api.images import PreparedImage, prepare_images
    from envsim.api.loading import (
        LOCUST_MASTER_PORT,
        ProfilePlan,
        WorkerOptions,
        load_any,
        load_profile,
        load_scenario,
        plan,
        seeded_data,
        stack_name_for,
    )
    from envsim.api.manifests import kubernetes_manifests
    from envsim.api.runs import RunResult, judge, read_journal, report, run
    from envsim.api.stack import Stack, attach, down, running, stacks, status, up
    from envsim.api.workers import join_run
    from envsim.config.discover import default_paths
    from envsim.config.fault_kinds import by_kind, kind_of_effect
    from envsim.config.fault_kinds.http import http_fault
    from envsim.config.fault_model import FailureMode
    from envsim.config.loader import validate_files
    from envsim.config.profile_model import Credential, HealthCheck, Profile, Service
    from envsim.config.scenario_model import Scenario
    from envsim.config.template import Template
    from envsim.engine.apply import ApplyProgress
    from envsim.engine.docker_engine import engine_address, engine_unreachable, why_unreachable
    from envsim.engine.local_address import checked_publish_address
    from envsim.engine.status import StackStatus
    from envsim.engine.teardown import RemovedCounts
    from envsim.errors import EnvironmentProblem, EnvsimError, InputError, Interrupted
    from envsim.images import ImageProgress, PlainProgress
    from envsim.journal import ALL_ENDPOINTS, Journal
    from envsim.plan.duration_cuts import duration_cuts
    from envsim.plan.faults import FaultPlan
    from envsim.plan.render import profile_plan_to_dict, scenario_to_dict
    from envsim.plan.scenario import ScenarioPlan
    from envsim.reports.slow_cause import slow_check_lines
    from envsim.run.progress import RunObserver, RunStart, console_observer
    from envsim.verdict import CheckResult, Verdict
