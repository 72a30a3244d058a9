"""Rendering plans as text and JSON. Deterministic: the same plan gives the same bytes.

Secret values are never known here: env values render through Template.redacted(), which
shows `<secret:NAME>`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from envsim.config.dockerfile import external_images, rewrite_base
from envsim.config.profile_model import BuildSpec, HealthCheck
from envsim.config.scenario_model import LoadSpec
from envsim.journal.stand_in_records import MATCH_NOTES
from envsim.plan.balancers import BalancerPlan
from envsim.plan.faults import FaultPlan
from envsim.plan.scenario import ScenarioPlan
from envsim.plan.seed import SeedPlan
from envsim.plan.stack import ContainerPlan, PortBinding, StackPlan, ToxiproxyPlan
from envsim.plan.stand_ins import StandIn, resolve_stand_in
from envsim.plan.stubs import describe_stub
from envsim.units import format_duration, format_size


def _health(check: HealthCheck | None) -> dict[str, Any] | None:
    return None if check is None else _health_fields(check)


def _health_fields(check: HealthCheck) -> dict[str, Any]:
    if check.kind == "running":
        return {"kind": "running", "running_for": check.running_for}
    target = {"http": check.path, "tcp": check.port or "(first port)", "cmd": list(check.command)}[check.kind]
    return {
        "kind": check.kind,
        "target": target,
        "port": check.port,
        "interval": check.interval,
        "timeout": check.timeout,
        "start_period": check.start_period,
    }


def _binding(binding: PortBinding | None) -> dict[str, Any] | None:
    if binding is None:
        return None
    host = binding.host_port if binding.host_port is not None else "free"
    return {"name": binding.name, "container_port": binding.container_port, "host": f"127.0.0.1:{host}"}


def _seed(seed: SeedPlan) -> dict[str, Any]:
    return {
        "service": seed.service,
        "steps": [
            {"description": s.description, **({"file": str(s.file)} if s.file else {"sql": s.sql})} for s in seed.steps
        ],
    }


def _fault(fault: FaultPlan) -> dict[str, Any]:
    return {"name": fault.name, "target": fault.target, "effect": fault.describe()}


def _load(load: LoadSpec) -> dict[str, Any]:
    return {
        "users": load.users,
        "spawn_rate": load.spawn_rate,
        "duration": load.duration,
        "stages": [{"duration": s.duration, "users": s.users, "spawn_rate": s.spawn_rate} for s in load.stages],
        "tasks": [{"name": t.name, "weight": t.weight, "request": f"{t.method} {t.path}"} for t in load.tasks],
        "locustfile": str(load.locustfile) if load.locustfile else None,
        "wait": list(load.wait),
        **({"rate_per_second": load.rate} if load.rate is not None else {}),  # task runs, the whole load
        "workers": load.workers,
        **({"cpus": list(load.cpus)} if load.cpus else {}),  # the generator's cores; the stack gets the rest
    }


def stack_to_dict(plan: StackPlan) -> dict[str, Any]:
    return {
        "stack": plan.stack,
        "profile": plan.profile,
        "network": plan.network,
        "labels": dict(plan.labels),
        "start_order": [list(level) for level in plan.levels],
        "toxiproxies": [_toxiproxy(t) for t in plan.toxiproxies],
        "links": [
            {"client": p.client, "target": p.service, "port": p.port_name, "proxy": p.name, "toxiproxy": t.name}
            for t in plan.toxiproxies
            for p in t.proxies
            if p.client is not None
        ],
        "haproxies": [_haproxy(b) for b in plan.balancers],
        "containers": [_container(c, plan) for c in plan.containers],
        "credentials": [{"name": c.name, "generate": c.generate, "ttl": c.ttl} for c in plan.credentials],
        "seeds": [_seed(s) for s in plan.seeds],
    }


def _haproxy(balancer: BalancerPlan) -> dict[str, Any]:
    return {
        "name": balancer.name,
        "service": balancer.service,
        "takes": balancer.alias,
        "replicas": list(balancer.replicas),
        "http_faults": [fault.switch for fault in balancer.faults],
        "runtime_api": None if balancer.api_port is None else f"127.0.0.1:free->{balancer.api_port}",
    }


def _haproxy_line(balancer: BalancerPlan) -> str:
    line = f"haproxy {balancer.name}  {balancer.alias} -> {', '.join(balancer.replicas)}"
    if balancer.faults:
        line += f"  http faults {', '.join(f.switch for f in balancer.faults)}"
        line += f"  runtime api 127.0.0.1:free->{balancer.api_port}"
    return line


def _toxiproxy(toxiproxy: ToxiproxyPlan) -> dict[str, Any]:
    return {
        "name": toxiproxy.name,
        "fronts": list(toxiproxy.aliases),
        "links_of": toxiproxy.client,
        "api": _binding(toxiproxy.api),
        "proxies": [
            {"name": p.name, "listen": p.listen, "upstream": p.upstream, "published": _binding(p.published)}
            for p in toxiproxy.proxies
        ],
    }


def _container(c: ContainerPlan, plan: StackPlan) -> dict[str, Any]:
    return {
        "name": c.name,
        "service": c.service,
        "image": c.image,
        "build": (
            {
                "context": str(c.build.context),
                "dockerfile": c.build.dockerfile,
                "args": dict(c.build.args),
                "base": c.build.base,
                "offline_stand_ins": [s.to_dict() for s in _base_stand_ins(c.build)],
            }
            if c.build
            else None
        ),
        "offline_stand_in": _stand_in(c),
        "command": list(c.command) if c.command is not None else None,
        "env": {name: value.redacted() for name, value in c.env},
        "aliases": list(c.aliases),
        "links": {service: toxiproxy for service, toxiproxy in c.links},
        "direct_ports": [_binding(p) for p in c.ports],
        "health": _health(c.health),
        "resources": {"cpus": c.cpus, "memory": c.memory},
        "secret_files": {path: f"<secret:{name}>" for name, path in c.secret_files},
        "depends_on": list(dict(plan.dependencies)[c.service]),
    }


def _stand_in(container: ContainerPlan) -> dict[str, str] | None:
    stand_in = resolve_stand_in(container.image) if container.image and not container.build else None
    return stand_in.to_dict() if stand_in else None


def _base_stand_ins(build: BuildSpec) -> list[StandIn]:
    """Stand-ins for the images a build starts FROM (after `base`); none if the Dockerfile is unreadable."""
    try:
        text = (build.context / build.dockerfile).read_text(encoding="utf-8")
    except OSError:
        return []
    args = dict(build.args)
    if build.base:
        text, _ = rewrite_base(text, args, build.base)
    found = (resolve_stand_in(image) for image in external_images(text, args))
    return [stand_in for stand_in in found if stand_in is not None]


def _stand_in_lines(container: ContainerPlan) -> list[str]:
    """What runs where the image is neither present nor pullable, and a warning when that
    is not the pinned version: better read in the plan than found out after a run."""
    stand_in = resolve_stand_in(container.image)
    if stand_in is None:
        return []
    return _offline_lines(
        f"{stand_in.describe()} stands in if {container.image} is neither present nor pullable", stand_in
    )


def _offline_lines(text: str, stand_in: StandIn) -> list[str]:
    """The offline line with how close the stand-in is; the loud warning only when it is not
    the pinned series (a patch level apart is said on the line itself)."""
    lines = [f"  offline  {text} ({MATCH_NOTES.get(stand_in.match, stand_in.match)})"]
    warning = stand_in.warning()
    return lines + ([f"  {warning}"] if warning and stand_in.match == "nearest" else [])


def profile_plan_to_dict(plan: StackPlan, faults: tuple[FaultPlan, ...]) -> dict[str, Any]:
    return {**stack_to_dict(plan), "failure_modes": [_fault(f) for f in faults]}


def scenario_to_dict(plan: ScenarioPlan) -> dict[str, Any]:
    return {
        "scenario": plan.scenario,
        "stack": stack_to_dict(plan.stack),
        "load": {**_load(plan.load), "entry_point": plan.entry_point.name},
        "timeline": [{"fault": s.fault, "start": s.start, "end": s.end} for s in plan.timeline],
        "faults": [_fault(f) for f in plan.faults],
        "checks": list(plan.checks),
    }


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True)


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def stack_to_text(plan: StackPlan, faults: tuple[FaultPlan, ...] = (), root: Path | None = None) -> str:
    lines = [f"stack {plan.stack} (profile {plan.profile}) on network {plan.network}", ""]
    lines.append("start order:")
    for index, level in enumerate(plan.levels):
        lines.append(f"  {index + 1}. {', '.join(level)}")
    lines.append("")
    for t in plan.toxiproxies:
        whose = f"  links of {t.client}" if t.client else ""
        lines.append(f"toxiproxy {t.name}  api 127.0.0.1:free->{t.api.container_port}{whose}")
        for p in t.proxies:
            published = f"  published 127.0.0.1:{p.published.host_port or 'free'}" if p.published else ""
            client = f"{p.client} -> " if p.client else ""
            lines.append(f"  {client}{p.service}:{p.listen.rsplit(':', 1)[1]} -> {p.upstream}{published}")
    lines += [_haproxy_line(b) for b in plan.balancers]
    lines.append("")
    for c in plan.containers:
        lines += _container_lines(c, root)
    for seed in plan.seeds:
        lines.append(f"seed {seed.service}: " + "; ".join(s.description for s in seed.steps))
    if plan.credentials:
        lines.append(
            "credentials: "
            + ", ".join(
                f"{c.name} ({c.generate}{', ttl ' + format_duration(c.ttl) if c.ttl else ''})" for c in plan.credentials
            )
        )
    if faults:
        lines.append("")
        lines.append("failure modes:")
        for fault in faults:
            lines.append(f"  {fault.name}: {fault.describe()}")
    return "\n".join(lines) + "\n"


def _container_lines(c: ContainerPlan, root: Path | None) -> list[str]:
    lines = [f"container {c.name}", *_image_lines(c, root)]
    if c.command is not None:
        lines.append(f"  command  {json.dumps(list(c.command))}")
    for name, value in c.env:
        lines.append(f"  env      {name}={value.redacted()}")
    for service, toxiproxy in c.links:
        lines.append(f"  link     {service} -> {toxiproxy} (its hosts file; the env is unchanged)")
    if c.ports:
        ports = ", ".join(f"{p.name} {p.container_port}" for p in c.ports)
        lines.append(f"  ports    {ports} (direct on 127.0.0.1)")
    if c.health and c.health.kind == "running":
        lines.append(f"  health   keeps running for {format_duration(c.health.running_for)}")
    elif c.health:
        h = _health_fields(c.health)
        target = " ".join(h["target"]) if isinstance(h["target"], list) else h["target"]
        lines.append(
            f"  health   {h['kind']} {target} (every {format_duration(c.health.interval)}, "
            f"up to {format_duration(c.health.start_period)})"
        )
    if c.cpus or c.memory:
        memory = format_size(c.memory) if c.memory else "-"
        lines.append(f"  limits   cpus={c.cpus or '-'} memory={memory}")
    for name, path in c.secret_files:
        lines.append(f"  secret   {path} <- <secret:{name}>")
    return lines


def _image_lines(c: ContainerPlan, root: Path | None) -> list[str]:
    """Where the container's image comes from, with the offline stand-ins that may replace it."""
    if c.build:
        base = f", base {c.build.base} in place of the Dockerfile's" if c.build.base else ""
        lines = [f"  image    {c.image} (built from {_relative(c.build.context, root)}{base})"]
        for stand_in in _base_stand_ins(c.build):
            lines += _offline_lines(
                f"FROM {stand_in.requested}: {stand_in.describe()} stands in if it is neither present nor pullable",
                stand_in,
            )
        return lines
    if c.image:
        return [f"  image    {c.image}", *_stand_in_lines(c)]
    if c.stub is not None:
        return ["  image    MockServer 7.6 (a stub)", *(f"  stub     {line}" for line in describe_stub(c.stub))]
    return ["  image    (none)"]


def scenario_to_text(plan: ScenarioPlan, root: Path | None = None) -> str:
    load = plan.load
    lines = [f"scenario {plan.scenario}", ""]
    lines.append(stack_to_text(plan.stack, plan.faults, root))
    target = plan.entry_point
    lines.append(
        f"load: {load.users} users at {load.spawn_rate}/s for {format_duration(plan.total_duration)} "
        f"against {target.service} ({target.port_name})"
    )
    for stage in load.stages:
        lines.append(f"  stage {format_duration(stage.duration)}: {stage.users} users at {stage.spawn_rate}/s")
    for task in load.tasks:
        lines.append(f"  task {task.name} x{task.weight}: {task.method} {task.path}")
    if load.locustfile:
        lines.append(f"  locustfile {_relative(load.locustfile, root)}")
    lines.append("")
    lines.append("timeline:")
    for step in plan.timeline:
        lines.append(f"  {format_duration(step.start):>6} - {format_duration(step.end):<6} {step.fault}")
    if not plan.timeline:
        lines.append("  (no faults)")
    lines.append("")
    lines.append("checks:")
    lines.extend(f"  - {label}" for label in plan.checks)
    return "\n".join(lines) + "\n"
