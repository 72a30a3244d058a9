"""The bottom layer: the journal model every other layer reads or writes.

It depends only on the standard library and the config model (its checks are the config's
check records), so plan, engine, run, verdict and reports all import it downward.
"""

from envsim.journal.checks import check_id, checks_from_dicts, checks_to_dicts
from envsim.journal.fault_windows import FaultWindow, fault_windows
from envsim.journal.histogram import percentile_ms
from envsim.journal.journal import JOURNAL_VERSION, Journal, JournalChecksError
from envsim.journal.records import (
    ALL_ENDPOINTS,
    ContainerEvent,
    CredentialRotation,
    FailureReason,
    FaultEvent,
    GeneratorSample,
    LogExcerpt,
    ProbeResult,
    StatsPoint,
    TimelineStep,
    WorkerLoss,
    WorkerSecond,
)

__all__ = [
    "ALL_ENDPOINTS",
    "JOURNAL_VERSION",
    "ContainerEvent",
    "CredentialRotation",
    "FailureReason",
    "FaultEvent",
    "FaultWindow",
    "GeneratorSample",
    "Journal",
    "JournalChecksError",
    "LogExcerpt",
    "ProbeResult",
    "StatsPoint",
    "TimelineStep",
    "WorkerLoss",
    "WorkerSecond",
    "check_id",
    "checks_from_dicts",
    "checks_to_dicts",
    "fault_windows",
    "percentile_ms",
]
