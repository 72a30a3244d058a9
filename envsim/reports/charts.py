"""Time-series charts as inline SVG, drawn here so the HTML report needs no script or CDN.

Each chart plots one value per second of load, with every fault window shaded and labelled
so a spike can be read against what caused it. Seconds without a value (no request
completed) break the line instead of drawing a misleading zero latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from envsim.journal import ALL_ENDPOINTS, Journal, fault_windows
from envsim.verdict.metrics import per_second, points_for
from envsim.verdict.phases import load_end

WIDTH, HEIGHT = 1000, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 26, 30
FAULT_COLOURS = ("#f59e0b", "#ef4444", "#8b5cf6", "#0ea5e9", "#10b981", "#ec4899")


@dataclass(frozen=True)
class Series:
    seconds: tuple[int, ...]
    rps: tuple[float | None, ...]
    p95_ms: tuple[float | None, ...]
    error_pct: tuple[float | None, ...]


def load_series(journal: Journal) -> Series:
    seconds = range(0, math.ceil(load_end(journal)))
    stats = per_second(points_for(journal, (ALL_ENDPOINTS,)), seconds)
    p95s = [stats[t].percentile(0.95) for t in seconds]
    errors = [stats[t].error_rate for t in seconds]
    return Series(
        seconds=tuple(seconds),
        rps=tuple(float(stats[t].requests) for t in seconds),
        p95_ms=tuple(None if v is None else v * 1000 for v in p95s),
        error_pct=tuple(None if v is None else v * 100 for v in errors),
    )


def nice_step(span: float, ticks: int = 4) -> float:
    """A round tick step (1, 2, 5 x 10^n) giving about `ticks` ticks over `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


@dataclass(frozen=True)
class _Frame:
    """A chart's scales: seconds of load across, values up to y_max in `step` ticks."""

    end: float
    y_max: float
    step: float

    @property
    def plot_w(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def plot_h(self) -> float:
        return HEIGHT - TOP - BOTTOM

    def x(self, t: float) -> float:
        return LEFT + self.plot_w * t / self.end

    def y(self, v: float) -> float:
        return TOP + self.plot_h * (1 - v / self.y_max)


def _frame(values: tuple[float | None, ...], journal: Journal) -> _Frame:
    present = [v for v in values if v is not None]
    # headroom above the highest value keeps the line clear of the fault labels at the top
    top_value = max(present, default=0.0) * 1.15
    step = nice_step(top_value if top_value > 0 else 1.0)
    y_max = step * max(1, math.ceil(top_value / step)) if top_value > 0 else step * 4
    return _Frame(max(load_end(journal), 1.0), y_max, step)


def _fault_bands(frame: _Frame, journal: Journal) -> list[str]:
    parts = []
    for index, window in enumerate(fault_windows(journal.faults)):
        colour = FAULT_COLOURS[index % len(FAULT_COLOURS)]
        x0, x1 = frame.x(window.applied), frame.x(window.removed if window.removed is not None else frame.end)
        parts.append(
            f'<rect class="fault-window" x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 1):.1f}" height="{frame.plot_h}" '
            f'fill="{colour}" fill-opacity="0.14" stroke="{colour}" stroke-opacity="0.5">'
            f"<title>{escape(window.fault)}: {window.applied:.1f}s – "
            f"{'end' if window.removed is None else f'{window.removed:.1f}s'}</title></rect>"
        )
        parts.append(
            f'<text class="fault-label" x="{x0 + 3:.1f}" y="{TOP + 12}" fill="{colour}">{escape(window.fault)}</text>'
        )
    return parts


def _axes(frame: _Frame, unit: str) -> list[str]:
    parts = []
    tick = 0.0
    while tick <= frame.y_max + 1e-9:
        y = frame.y(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}{unit}</text>')
        tick += frame.step
    x_step = nice_step(frame.end, 8)
    t = 0.0
    while t <= frame.end + 1e-9:
        parts.append(
            f'<text class="tick" x="{frame.x(t):.1f}" y="{HEIGHT - 10}" text-anchor="middle">{_fmt(t)}s</text>'
        )
        t += x_step
    bottom = TOP + frame.plot_h
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}"/>')
    return parts


def _series(frame: _Frame, values: tuple[float | None, ...], colour: str) -> str:
    # Values are per second [t, t + 1): plot each at the middle of its second; a gap lifts the pen.
    path: list[str] = []
    pen_down = False
    for second, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{frame.x(second + 0.5):.1f},{frame.y(value):.1f}")
        pen_down = True
    if path:
        return f'<path class="series" d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
    return (
        f'<text class="empty" x="{LEFT + frame.plot_w / 2}" y="{TOP + frame.plot_h / 2}" '
        'text-anchor="middle">no data</text>'
    )


def _hover(frame: _Frame, values: tuple[float | None, ...], unit: str) -> list[str]:
    return [
        f'<rect class="hover" x="{frame.x(second):.1f}" y="{TOP}" '
        f'width="{max(frame.x(second + 1) - frame.x(second), 0.5):.2f}" height="{frame.plot_h}">'
        f"<title>{second}s: {'—' if value is None else f'{value:.1f}{unit}'}</title></rect>"
        for second, value in enumerate(values)
    ]


def line_chart(
    title: str,
    values: tuple[float | None, ...],
    journal: Journal,
    unit: str,
    colour: str,
    chart_id: str,
) -> str:
    frame = _frame(values, journal)
    return "\n".join(
        [
            f'<svg id="{chart_id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
            f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)}</text>',
            *_fault_bands(frame, journal),
            *_axes(frame, unit),
            _series(frame, values, colour),
            *_hover(frame, values, unit),
            "</svg>",
        ]
    )


def charts(journal: Journal) -> str:
    series = load_series(journal)
    return "\n".join(
        (
            line_chart("Requests per second", series.rps, journal, "", "#2563eb", "chart-rps"),
            line_chart("p95 latency (ms)", series.p95_ms, journal, "ms", "#7c3aed", "chart-p95"),
            line_chart("Error rate (%)", series.error_pct, journal, "%", "#dc2626", "chart-errors"),
        )
    )
