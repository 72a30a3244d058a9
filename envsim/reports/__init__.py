"""Reports: files written from a journal and its verdict (json, junit, html, markdown)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from envsim.fileio import write_atomic
from envsim.journal import Journal
from envsim.verdict.result import Verdict

# format name -> (file name, renderer module, function); renderers are imported when used
FORMATS: dict[str, tuple[str, str, str]] = {
    "json": ("verdict.json", "envsim.reports.json_report", "render_json"),
    "junit": ("junit.xml", "envsim.reports.junit", "render_junit"),
    "html": ("report.html", "envsim.reports.html_report", "render_html"),
    "markdown": ("summary.md", "envsim.reports.markdown", "render_markdown"),
}


def renderer(format_name: str) -> Callable[[Journal, Verdict], str]:
    import importlib

    _, module, function = FORMATS[format_name]
    return getattr(importlib.import_module(module), function)


def write_reports(journal: Journal, verdict: Verdict, out_dir: Path, formats: Iterable[str]) -> list[Path]:
    """Write one file per format into `out_dir`; returns the paths written, in the order asked."""
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s): {', '.join(unknown)} (known: {', '.join(FORMATS)})")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for format_name in wanted:
        path = out_dir / FORMATS[format_name][0]
        write_atomic(path, renderer(format_name)(journal, verdict))
        written.append(path)
    return written


__all__ = ["FORMATS", "write_reports"]
