"""What a check kind declares, and the capabilities its parts are handed.

A kind's parts run at different floors of envsim: it is written in a scenario (config), kept
in a journal (journal), measured on the live stack (engine) and judged (verdict). Its module
sits at the lowest floor so that every floor can reach it; the parts that need a higher
floor's power take it as an argument instead of importing it: a prober gets `ProbeTools`
(which the engine implements: run a command in a container, query a database, send an HTTP
request, read a stub's journal), a judge gets `Measurements` (which the verdict implements
over a journal: the check's probe, the run's request counts and windows, recovery).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from envsim.config.refs import unknown
from envsim.config.yamlload import TreePath, YamlDoc
from envsim.errors import Problem

if TYPE_CHECKING:
    from envsim.config.profile_model import Profile

Comparator = Literal["below", "above", "equals", "at_most", "at_least"]
COMPARATORS: tuple[Comparator, ...] = ("below", "above", "at_most", "at_least", "equals")
LABEL_SYMBOLS = {"below": "<", "above": ">", "at_most": "<=", "at_least": ">=", "equals": "=="}


def compare(measured: float, comparator: str, bound: float, tolerance: float = 0.0) -> bool:
    """Whether `measured` satisfies the comparator; tolerance widens the bound (absolute)."""
    if comparator == "below":
        return measured < bound + tolerance
    if comparator == "at_most":
        return measured <= bound + tolerance
    if comparator == "above":
        return measured > bound - tolerance
    if comparator == "at_least":
        return measured >= bound - tolerance
    if comparator == "equals":
        return math.isclose(measured, bound, abs_tol=tolerance + 1e-9)
    raise ValueError(f"unknown comparator {comparator!r}")


def whole_run(check: object) -> str:
    """The judged phase of a check measured on the stack after the load: the whole run."""
    return "run"


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class ScenarioContext:
    """What a check's loader and cross-reference part see of the rest of its scenario."""

    doc: YamlDoc
    profile: Profile | None  # None: the profile did not load; profile references are not checked
    task_names: tuple[str, ...]  # declared task names (a sequence's steps in its place)
    by_request: Mapping[str, tuple[str, ...]]  # "GET /products" -> the tasks sending it
    declarative: bool  # tasks in the file (not a locustfile): endpoints can be checked
    timeline_faults: Mapping[str, tuple[dict[str, Any], ...]]  # fault name -> its timeline entries

    def endpoint(self, written: str) -> str | None:
        """The task an endpoint names (a task name, or a request only one task sends)."""
        if written in self.task_names:
            return written
        matches = self.by_request.get(" ".join(written.split()), ())
        return matches[0] if len(matches) == 1 else None

    def problem(self, where: TreePath, message: str, *, key: bool = False) -> Problem:
        return self.doc.problem(where, message, key=key)


def fault_refs(written: Mapping[str, Any], here: TreePath, context: ScenarioContext) -> list[Problem]:
    """Faults named by `during`/`after` must be in the timeline."""
    problems = []
    for key in ("during", "after"):
        fault = written.get(key)
        if isinstance(fault, str) and fault not in context.timeline_faults:
            problems.append(
                context.problem(
                    here + (key,), unknown("fault", fault, context.timeline_faults) + " (not in the timeline)"
                )
            )
    return problems


# --------------------------------------------------------------------------- probing


class ProbeError(Exception):
    """A probe could not measure; its text is what the journal records."""


class ProbeTools(Protocol):
    """What the engine lends a prober: each call reaches the service's first container
    directly (past Toxiproxy, so a fault still active cannot distort the measurement)."""

    run_start: datetime

    def exec(self, service: str, command: list[str]) -> tuple[int | None, str, str]:
        """Exit status, stdout and stderr of a command run in the container (no shell)."""

    def sql_number(self, service: str, query: str) -> float:
        """The number a query returns; ProbeError with the database's complaint."""

    def http(self, service: str, port: str | None, method: str, path: str, limit: int) -> tuple[int, bytes]:
        """Status and up to `limit` bytes of the answer; ProbeError when none came."""

    def stub_calls(self, check: Any) -> tuple[float, str, tuple[tuple[str, object], ...]]:
        """A stub check measured over the stub's request journal: (value, detail, values)."""


@dataclass(frozen=True)
class Probed:
    """A probe's outcome, recorded in the journal under the check's id."""

    ok: bool
    value: float | None
    detail: str
    values: tuple[tuple[str, object], ...] = ()


# --------------------------------------------------------------------------- judging


class ProbeRecord(Protocol):
    """A probe's outcome as the journal keeps it (envsim.journal.ProbeResult)."""

    @property
    def ok(self) -> bool: ...

    @property
    def value(self) -> float | None: ...

    @property
    def detail(self) -> str: ...

    @property
    def values(self) -> tuple[tuple[str, object], ...]: ...


class Window(Protocol):
    """The requests of one endpoint in one phase of the run."""

    @property
    def problem(self) -> str:
        """Why there is nothing to measure ("no data: ..."), else ""."""

    @property
    def requests(self) -> int: ...

    @property
    def seconds(self) -> int: ...

    @property
    def in_flight(self) -> str:
        """Requests still unanswered at the window's end, described; "" for none."""

    def metric(self, name: str) -> float | None: ...

    def top_failures(self) -> tuple[str, ...]: ...


class RecoveryReading(Protocol):
    @property
    def problem(self) -> str: ...

    @property
    def seconds(self) -> float | None:
        """None: the service did not recover within the searched window."""

    @property
    def searched(self) -> float: ...

    @property
    def baseline(self) -> str:
        """What "back to baseline" means here, described."""

    @property
    def streak(self) -> int:
        """Seconds in a row within the baseline that count as recovered."""


class Measurements(Protocol):
    """What the verdict lends a judge: readings from one journal."""

    def latest_probe(self, check_id: str) -> ProbeRecord | None: ...

    def run_count(self, what: str, endpoint: str) -> int | None:
        """The run's successes or failures of an endpoint; None when it recorded none."""

    def window(self, endpoint: str | None, phase: str) -> Window: ...

    def recovery(self, fault: str) -> RecoveryReading: ...


@dataclass(frozen=True)
class Judgement:
    """A check judged: the verdict adds the check's id, label and kind."""

    passed: bool
    measured: float | None  # None: nothing to measure
    bound: float | None
    unit: str
    reason: str
    comparator: str
    top_failures: tuple[str, ...] = ()


# --------------------------------------------------------------------------- the parts


@dataclass(frozen=True)
class CheckKind:
    """Every part of one kind of check. All are required: a kind measured from the load
    alone says so with `probe=None`."""

    name: str  # the journal's `kind` and the verdict's
    model: type  # the frozen dataclass the loader builds
    written_as: str  # the scenario key that makes a check this kind ("metric", "sql", ...)
    schema: str  # its branch in scenario.schema.json: `#/$defs/<schema>`
    claims: Callable[[Mapping[str, Any]], bool]  # whether a written check (schema-valid) is this kind
    build: Callable[[Mapping[str, Any], ScenarioContext], Any]  # written check -> model (unlabelled)
    refs: Callable[[Mapping[str, Any], TreePath, ScenarioContext], list[Problem]]  # what the schema cannot see
    label: Callable[[Any], str]  # the one readable form
    to_record: Callable[[Any], dict[str, Any]]  # the journal's fields (besides id, label, kind)
    from_record: Callable[[Mapping[str, Any], str, str], Any]  # (fields, where, label) -> model; ValueError
    probe: Callable[[Any, ProbeTools], Probed] | None  # measuring on the live stack after the load
    judge: Callable[[Any, str, Measurements], Judgement]  # (check, check id, measurements)
    # the part of the run it judges ("run", "baseline", "during:FAULT", "after:FAULT"): what a
    # short --duration can cut off, and the window whose service logs sit beside its failure
    judged_phase: Callable[[Any], str]
