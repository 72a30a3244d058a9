"""The HTML report opened in a real headless Chromium, driven over the DevTools protocol.

Chromium speaks the protocol on a pipe (--remote-debugging-pipe: it reads NUL-separated
JSON on fd 3 and writes on fd 4), so no websocket client or open port is needed. The test
asserts what a person would see: no console errors, nothing fetched from the network,
the three charts actually laid out with lines and shaded fault windows, and a 2,000-character
log line wrapped inside the window rather than widening the page.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "reports"))
from report_journals import sample_journal  # noqa: E402

from envsim.journal import LogExcerpt  # noqa: E402
from envsim.reports import write_reports  # noqa: E402
from envsim.verdict import judge  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.docker_free,
    pytest.mark.xdist_group("html-report"),  # one worker: the report is rendered once
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
    pytest.mark.timeout(120),
]


class DevToolsPipe:
    """A minimal DevTools client over Chromium's debugging pipe."""

    def __init__(self, profile_dir: Path):
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds() -> None:
            # The protocol is fixed on fds 3 and 4; move ours out of the way first.
            high_r, high_w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile_dir}",
                "--window-size=1200,1600",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._from_chrome, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the debugging pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self._next_id += 1
        request = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._to_chrome, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == method:
                return message

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)


MEASURE_CHARTS = """(() => {
  const charts = [...document.querySelectorAll('svg.chart')].map(svg => {
    const box = svg.getBoundingClientRect();
    const series = svg.querySelector('path.series');
    const line = series ? series.getBBox() : null;
    return {
      id: svg.id, width: box.width, height: box.height,
      lineLength: series ? series.getTotalLength() : 0,
      lineWidth: line ? line.width : 0, lineHeight: line ? line.height : 0,
      stroke: series ? getComputedStyle(series).stroke : null,
      faultWindows: [...svg.querySelectorAll('rect.fault-window')].map(r => r.getBBox().width),
      faultLabels: [...svg.querySelectorAll('text.fault-label')].map(t => t.textContent),
    };
  });
  return JSON.stringify({
    charts,
    checkRows: document.querySelectorAll('#checks tbody tr').length,
    failedRows: document.querySelectorAll('#checks tr.failed').length,
    scripts: document.scripts.length,
    verdict: document.querySelector('#verdict').textContent.trim(),
    environment: document.querySelector('#environment').textContent,
    checkText: document.querySelector('#checks').textContent,
    pageWidth: document.documentElement.scrollWidth,
    viewportWidth: document.documentElement.clientWidth,
    logWidth: document.querySelector('pre.logs').scrollWidth,
    logBoxWidth: document.querySelector('pre.logs').clientWidth,
    logHeight: document.querySelector('pre.logs').getBoundingClientRect().height,
  });
})()"""


LONG_LINE = "ERROR " + "x" * 2000  # one log line, or one image reference, longer than any screen


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    journal = sample_journal()
    journal = dataclasses.replace(
        journal,
        logs=(LogExcerpt("api", 180.0, (LONG_LINE,)),),
        environment={**journal.environment, "images": {**journal.environment["images"], "app": LONG_LINE}},
    )
    write_reports(journal, judge(journal), out, ["html"])
    page = out / "report.html"
    browser = DevToolsPipe(tmp_path_factory.mktemp("chromium-profile"))
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})
        session = browser.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1200, "height": 1600, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        browser.call("Page.navigate", {"url": page.as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired")
        measured = browser.call(
            "Runtime.evaluate", {"expression": MEASURE_CHARTS, "returnByValue": True}, session=session
        )
        shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
        (out / "report.png").write_bytes(base64.b64decode(shot["data"]))
        # kept for a person to look at: pytest prints nothing, the file stays in the tmp dir
        return json.loads(measured["result"]["value"]), list(browser.events), page
    finally:
        browser.close()


def test_no_console_errors_and_no_network_requests(rendered):
    _, events, page = rendered
    errors = [
        e
        for e in events
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"))
    ]
    assert errors == []
    requested = [e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"]
    assert requested == [page.as_uri()]


def test_three_charts_are_drawn_with_lines_and_fault_windows(rendered):
    result, _, _ = rendered
    charts = {chart["id"]: chart for chart in result["charts"]}
    assert sorted(charts) == ["chart-errors", "chart-p95", "chart-rps"]
    for chart in charts.values():
        assert chart["width"] > 800 and chart["height"] > 150  # laid out at a readable size
        assert chart["lineLength"] > 500 and chart["lineWidth"] > 600  # a line across the whole run
        assert chart["stroke"] not in (None, "none")
        assert chart["faultLabels"] == ["db-slow", "cache-down"]
        slow, down = chart["faultWindows"]
        assert slow > 2 * down > 0  # 30s of db-slow is drawn wider than 10s of cache-down
    # latency and errors move with the faults, so those lines are not flat
    assert charts["chart-p95"]["lineHeight"] > 50
    assert charts["chart-errors"]["lineHeight"] > 50


def test_checks_table_and_run_details_are_shown(rendered):
    result, _, _ = rendered
    assert result["scripts"] == 0
    assert result["checkRows"] == 7 and result["failedRows"] == 3
    assert result["verdict"].startswith("FAILED")
    # a label with markup in it is shown as text, not interpreted
    assert '<script>alert("x")</script>' in result["checkText"]
    assert "toxiproxy" in result["environment"] and "</td><b>x</b>" in result["environment"]


def test_a_long_log_line_and_environment_value_wrap_within_the_viewport(rendered):
    result, _, _ = rendered
    assert 1000 < result["pageWidth"] <= result["viewportWidth"]  # no sideways scrolling of the page
    assert result["logWidth"] <= result["logBoxWidth"]  # nor of the log block inside it
    assert result["logHeight"] > 100  # the 2,000 characters wrapped onto many lines, all visible
