"""HTTP faults: errors at a rate (with Retry-After), dropped connections, a full outage, slow
bodies (stubs) and a delay before forwarding (real services).

On a stub they are MockServer chaos twins of the stub's routes, loaded with a time-to-live
(the engine's), so a killed envsim leaves no chaos behind for long. On a real HTTP service
they are rules in the HAProxy the plan puts in front of it (envsim.plan.haproxy_config), each
failure mode's rules behind a switch in HAProxy's fault map, which the engine flips over the
runtime API: no reload, and nothing to remove but the switch."""

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
HTTP_FAULT_KEYS = ("http_errors", "drop", "slow_body", "outage", "delay")
STUB_ONLY_KEYS = ("slow_body",)  # MockServer dribbles a body; HAProxy 2.6 cannot
REAL_ONLY_KEYS = ("delay",)  # a stub's answers are delayed by its own `latency`


@dataclass(frozen=True)
class HttpErrorFault:
    """HTTP-level errors a stub returns at a rate: status -> fraction of requests."""

    rates: tuple[tuple[int, float], ...]
    retry_after: float | None = None
    drop: float | None = None  # fraction of connections closed without an answer
    slow_body: tuple[int, float] | None = None  # (chunk bytes, seconds between chunks)
    outage: bool = False  # every request answered 503
    delay: float | None = None  # seconds each request waits before it is forwarded (real services)


@dataclass(frozen=True)
class HttpFaultStep:
    """On a stub: chaos twins loaded into its containers. On a real service: the switch of
    the failure mode's rules in the HAProxy fronts (twins and containers empty)."""

    fault: HttpErrorFault
    twins: tuple[Any, ...]  # MockServer expectations: chaos twins of the stub's routes
    containers: tuple[str, ...]  # the stub containers they are loaded into
    fronts: tuple[str, ...] = ()  # HAProxy containers in front of a real service
    switch: str = ""  # the key of the failure mode's switch in the fronts' fault map


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
            delay=_seconds(spec.get("delay")),
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
                "HTTP faults (http_errors, drop, slow_body, outage, delay) cannot be "
                "combined with network or container faults in one failure mode",
                key_only=True,
            )
        )
    is_stub = "stub" in service
    for key in written:
        if key in STUB_ONLY_KEYS and not is_stub:
            problems.append(
                context.problem(
                    key,
                    f"{key} applies to stub services only, and '{context.target}' is not a stub "
                    "(a real service's answers can be held back with 'delay')",
                    key_only=True,
                )
            )
        if key in REAL_ONLY_KEYS and is_stub:
            problems.append(
                context.problem(
                    key,
                    f"{key} applies to real HTTP services only, and '{context.target}' is a stub "
                    "(give the stub a 'latency', or use slow_body)",
                    key_only=True,
                )
            )
    if written and not is_stub:
        problems += _real_http(context, written[0])
    return problems


def _real_http(context: FaultContext, key: str) -> list[Problem]:
    """A real service's HTTP faults live in an HAProxy in HTTP mode on all of its ports."""
    service = context.service or {}
    ports = service.get("ports")
    ports = ports if isinstance(ports, dict) else {}
    health = service.get("health")
    http_health = isinstance(health, dict) and "http" in health
    not_http = [name for name in ports if name != "http" and not (http_health and len(ports) == 1)]
    if not ports or not_http:
        why = f"its port '{not_http[0]}' is not HTTP" if not_http else "it declares no ports"
        return [
            context.problem(
                key,
                f"HTTP faults on a real service need every port of it to speak plain HTTP, and on "
                f"'{context.target}' {why} (name the port 'http', or give a one-port service an http health check)",
                key_only=True,
            )
        ]
    return []


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


def plan(fault: str, target: str, effects: tuple[HttpErrorFault, ...], stack: StackView) -> tuple[HttpFaultStep, ...]:
    steps = []
    for effect in effects:
        twins, containers = stack.stub_chaos(fault, target, effect)
        fronts = () if twins else stack.http_fronts(target)
        steps.append(HttpFaultStep(effect, twins, containers, fronts, fault if fronts else ""))
    return tuple(steps)


def describe(step: HttpFaultStep) -> str:
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
    if fault.delay:
        parts.append(f"every request held {fault.delay * 1000:g}ms")
    if step.fronts:
        parts.append("switched in HAProxy " + ", ".join(step.fronts))
    return ", ".join(parts)


def apply(fault: str, step: HttpFaultStep, tools: FaultTools) -> None:
    if not step.twins and not step.fronts:
        raise EnvironmentProblem(f"fault {fault}: HTTP faults apply to stubs with routes and HTTP services with ports")
    for container in step.containers:
        tools.load_chaos(fault, container, step.twins)
    for front in step.fronts:
        tools.switch_http_fault(fault, front, step.switch, True)


def clear(fault: str, step: HttpFaultStep, tools: FaultTools) -> None:
    for container in step.containers if step.twins else ():
        for twin in step.twins:
            tools.remove_chaos(fault, container, twin.id)
    for front in step.fronts:
        tools.switch_http_fault(fault, front, step.switch, False)


def active(step: HttpFaultStep, readings: FaultReadings) -> bool:
    return any(readings.chaos_present(twin.id) for twin in step.twins) or any(
        readings.http_fault_on(front, step.switch) for front in step.fronts
    )


KIND = FaultKind(
    name="http",
    keys=(*HTTP_FAULT_KEYS, "retry_after"),
    triggers=HTTP_FAULT_KEYS,
    effect=HttpErrorFault,
    step=HttpFaultStep,
    build=build,
    refs=refs,
    summary=summary,
    plan=plan,
    describe=describe,
    apply=apply,
    clear=clear,
    active=active,
)
