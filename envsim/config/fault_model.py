"""The validated failure modes of a profile: what a fault does, before it is planned on a stack.

Times are seconds (float), fractions are in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Toxic:
    """One Toxiproxy toxic: type is latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data."""

    type: str
    attributes: tuple[tuple[str, int], ...]
    stream: Literal["upstream", "downstream"] = "downstream"
    toxicity: float = 1.0


@dataclass(frozen=True)
class HttpErrorFault:
    """HTTP-level errors a stub returns at a rate: status -> fraction of requests."""

    rates: tuple[tuple[int, float], ...]
    retry_after: float | None = None
    drop: float | None = None  # fraction of connections closed without an answer
    slow_body: tuple[int, float] | None = None  # (chunk bytes, seconds between chunks)
    outage: bool = False  # every request answered 503


@dataclass(frozen=True)
class FailureMode:
    name: str
    target: str
    toxics: tuple[Toxic, ...] = ()
    down: bool = False  # the proxy refuses connections
    container: Literal["kill", "stop", "restart", "pause"] | None = None
    http_errors: HttpErrorFault | None = None
