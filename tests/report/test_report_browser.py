"""The HTML report in a real headless Chromium with the network cut: it loads from a file:// URL,
fetches nothing, and draws every chart with the marks the history calls for."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver

from mapekd.cli.main import main
from tests.cli.kbdata import fill
from tests.report.browser import browser, screenshot
from tests.report.test_report import EXPECTED_MARKS

__all__ = ["browser"]

DRAWN_MARKS = """
const marks = {};
for (const chart of arguments[0]) {
  const found = [...document.querySelectorAll(`#chart-${chart} svg g[id^="${chart}-bar-"]`)];
  // A mark is drawn when the browser laid it out: it has a box on the page.
  marks[chart] = found.filter(g => g.getBoundingClientRect().height > 0).length;
}
return marks;
"""


def test_report_renders_offline_with_every_mark(browser: webdriver.Chrome, tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    fill(db)
    page = tmp_path / "report.html"
    assert main(["report", "--db", str(db), "--html", str(page), "--since", "7d"]) == 0
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    browser.get(page.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title.startswith("mapekd report")
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert browser.execute_script(DRAWN_MARKS, list(EXPECTED_MARKS)) == EXPECTED_MARKS
    cards = browser.execute_script(
        "return [...document.querySelectorAll('#totals .figure')].map(e => e.textContent.trim())"
    )
    assert cards == ["8", "2", "1", "7", "71%", "6"]
    worst = browser.execute_script("return document.querySelectorAll('#worst tbody tr').length")
    assert worst == 5
    screenshot(browser, tmp_path, "report.png")
