"""HTTP faults on a stub: errors at a rate (with Retry-After), dropped connections, slow
bodies, a full outage. They are MockServer chaos twins of the stub's routes, loaded with a
time-to-live (the engine's), so a killed envsim leaves no chaos behind for long."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envsim.config.fault_kinds.kind import (
    FaultContext,
    FaultKind,
    FaultReadings,
    FaultTools,
    StackView,
)
from envsim.errors import EnvironmentProblem, Problem
from envsim.units import parse_duration, parse_percent, percent_out_of_range

# the keys that make a failure mode an HTTP fault; retry_after only refines http_errors
HTTP_FAULT_KEYS = ("http_errors", "drop", "slow_body", "outage")


@dataclass(frozen=True)
class HttpErrorFault:
    """HTTP-level errors a stub returns at a rate: status -> fraction of requests."""

    rates: tuple[tuple[int, float], ...]
    retry_after: float | None = None
    drop: float | None = None  # fraction of connections closed without an answer
    slow_body: tuple[int, float] | None = None  # (chunk bytes, seconds between chunks)
    outage: bool = False  # every request answered 503


@dataclass(frozen=True)
class StubChaosStep:
    fault: HttpErrorFault
    twins: tuple[Any, ...]  # MockServer expectations: chaos twins of the stub's routes
    containers: tuple[str, ...]  # the stub containers they are loaded into


def http_fault(effects: tuple[Any, ...]) -> HttpErrorFault | None:
    """A failure mode's HTTP fault, if it is one."""
    return next((e for e in effects if isinstance(e, HttpErrorFault)), None)


def _seconds(value: Any, default: float | None = None) -> float | None:
    parsed = None if value is None else parse_duration(value)
    return default if parsed is None else parsed


def build(spec: Mapping[str, Any]) -> tuple[HttpErrorFault, ...]:
    rates = tuple(sorted((int(code), parse_percent(rate) or 0.0) for code, rate in spec.get("http_errors", {}).items()))
    slow = spec.get("slow_body")
    return (
        HttpErrorFault(
            rates=rates,
            retry_after=_seconds(spec.get("retry_after")),
            drop=parse_percent(spec["drop"]) if "drop" in spec else None,
            slow_body=(int(slow.get("chunk", 64)), _seconds(slow.get("delay"), 0.1) or 0.0) if slow else None,
            outage=spec.get("outage", False) is True,
        ),
    )


def refs(context: FaultContext) -> list[Problem]:
    return _combination(context) + _rates(context)


def _combination(context: FaultContext) -> list[Problem]:
    mode, service = context.mode, context.service
    if service is None:
        return []
    problems = []
    written = [k for k in mode if k in HTTP_FAULT_KEYS]
    others = [k for k in mode if k not in ("target", "retry_after", *HTTP_FAULT_KEYS)]
    if written and others:
        problems.append(
            context.problem(
                written[0],
                "HTTP faults (http_errors, drop, slow_body, outage) cannot be "
                "combined with network or container faults in one failure mode",
                key_only=True,
            )
        )
    for key in written:
        if "stub" not in service:
            verb = "apply" if key == "http_errors" else "applies"
            problems.append(
                context.problem(
                    key, f"{key} {verb} to stub services only, and '{context.target}' is not a stub", key_only=True
                )
            )
    return problems


def _rates(context: FaultContext) -> list[Problem]:
    rates = context.mode.get("http_errors")
    rates = rates if isinstance(rates, dict) else {}
    problems = []
    if len(rates) > 1:
        problems.append(
            context.problem(
                "http_errors",
                "name one status per failure mode (a stub injects "
                "one error status at a time); add another failure mode",
            )
        )
    total = 0.0
    for status, rate in rates.items():
        if percent_out_of_range(rate):
            problems.append(context.problem(("http_errors", status), "must be between 0% and 100%"))
        total += parse_percent(rate) or 0.0
    if total > 1.0 + 1e-9:
        problems.append(context.problem("http_errors", f"error rates add up to more than 100% ({total:.0%})"))
    return problems


def summary(effects: tuple[HttpErrorFault, ...]) -> str:
    return "http errors"


def plan(fault: str, target: str, effects: tuple[HttpErrorFault, ...], stack: StackView) -> tuple[StubChaosStep, ...]:
    steps = []
    for effect in effects:
        twins, containers = stack.stub_chaos(fault, target, effect)
        steps.append(StubChaosStep(effect, twins, containers))
    return tuple(steps)


def describe(step: StubChaosStep) -> str:
    fault = step.fault
    parts = []
    if fault.rates:
        parts.append("http errors " + ", ".join(f"{status} at {rate:.0%}" for status, rate in fault.rates))
    if fault.outage:
        parts.append("http outage (every request 503)")
    if fault.retry_after:
        parts.append(f"Retry-After {fault.retry_after:g}s")
    if fault.drop:
        parts.append(f"{fault.drop:.0%} of connections dropped")
    if fault.slow_body:
        parts.append(f"body in {fault.slow_body[0]}-byte chunks {fault.slow_body[1] * 1000:g}ms apart")
    return ", ".join(parts)


def apply(fault: str, step: StubChaosStep, tools: FaultTools) -> None:
    if not step.twins:
        raise EnvironmentProblem(f"fault {fault}: HTTP faults apply to stub services with routes only")
    for container in step.containers:
        tools.load_chaos(fault, container, step.twins)


def clear(fault: str, step: StubChaosStep, tools: FaultTools) -> None:
    for container in step.containers if step.twins else ():
        for twin in step.twins:
            tools.remove_chaos(fault, container, twin.id)


def active(step: StubChaosStep, readings: FaultReadings) -> bool:
    return any(readings.chaos_present(twin.id) for twin in step.twins)


KIND = FaultKind(
    name="http",
    keys=(*HTTP_FAULT_KEYS, "retry_after"),
    triggers=HTTP_FAULT_KEYS,
    effect=HttpErrorFault,
    step=StubChaosStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=clear,
    active=active,
)
