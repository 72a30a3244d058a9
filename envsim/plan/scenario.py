"""ScenarioPlan: the stack plus the load, the fault timeline as absolute offsets and the checks."""

from __future__ import annotations

from dataclasses import dataclass

from envsim.config.scenario_model import LoadSpec, Scenario
from envsim.journal import TimelineStep
from envsim.plan.faults import FaultPlan, plan_fault
from envsim.plan.stack import ProxyPlan, StackPlan, plan_stack


@dataclass(frozen=True)
class ScenarioPlan:
    scenario: str
    stack: StackPlan
    load: LoadSpec
    entry_point: ProxyPlan
    timeline: tuple[TimelineStep, ...]
    faults: tuple[FaultPlan, ...]  # only those the timeline uses
    checks: tuple[str, ...]  # labels

    @property
    def total_duration(self) -> float:
        return self.load.run_length


def entry_point_for(stack: StackPlan, load: LoadSpec) -> ProxyPlan:
    """The published proxy the load goes to: the scenario's target, else the first published."""
    candidates = stack.entry_points
    if load.target:
        candidates = tuple(p for p in candidates if p.service == load.target)
        if load.target_port:
            candidates = tuple(p for p in candidates if p.port_name == load.target_port)
    if not candidates:
        # validation guarantees a published target; reaching here is a programming error
        raise ValueError(f"no published entry point for load target {load.target!r}")
    return candidates[0]


def plan_scenario(scenario: Scenario, stack_name: str | None = None) -> ScenarioPlan:
    stack = plan_stack(scenario.profile, stack_name)
    total = scenario.load.run_length
    timeline = tuple(
        sorted(
            (
                TimelineStep(
                    fault=entry.fault,
                    start=entry.at,
                    end=min(total, entry.at + entry.duration) if entry.duration is not None else total,
                )
                for entry in scenario.timeline
            ),
            key=lambda step: (step.start, step.fault),
        )
    )
    used = sorted({step.fault for step in timeline})
    faults = tuple(plan_fault(stack, scenario.profile.failure_mode(name)) for name in used)
    return ScenarioPlan(
        scenario=scenario.name,
        stack=stack,
        load=scenario.load,
        entry_point=entry_point_for(stack, scenario.load),
        timeline=timeline,
        faults=faults,
        checks=tuple(getattr(check, "label", "") or type(check).__name__ for check in scenario.checks),
    )
