"""The live page's fleet section, in a real headless Chromium: on a host in a fleet it lists the
hosts, the quarantined remedies and the fleet's success table, refreshed in place; on a host in no
fleet it stays hidden."""

from __future__ import annotations

import asyncio
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from mapekd.api.live_fleet import CachedFleetStatus
from mapekd.knowledge.store import SqliteStore
from tests.api.harness import READ, Api
from tests.api.test_live_fleet import config
from tests.fleet.conftest import pg_url, postgres  # noqa: F401 - the fleet's PostgreSQL fixtures
from tests.report.browser import browser, screenshot
from tests.report.fleetdata import two_hosts

__all__ = ["browser"]


def rows(driver: webdriver.Chrome, table: str) -> list[list[str]]:
    found = driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in found]


async def open_page(driver: webdriver.Chrome, url: str) -> None:
    def log_in() -> None:
        driver.get(url)
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "token").is_displayed())
        driver.find_element(By.ID, "token").send_keys(READ)
        driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()
        WebDriverWait(driver, 30).until(lambda d: "updated" in d.find_element(By.ID, "updated").text)

    await asyncio.to_thread(log_in)  # the API answers on this test's event loop meanwhile


async def test_the_fleet_section_lists_hosts_quarantines_and_the_record(
    pg_url: str,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
    browser: webdriver.Chrome,
) -> None:
    fleet = CachedFleetStatus(config(pg_url), two_hosts(pg_url, tmp_path))
    queue = SqliteStore(tmp_path / "queue.db")
    try:
        async with Api(tmp_path, fleet=fleet, approvals=queue) as api:
            await open_page(browser, f"{api.url}/")
            assert browser.find_element(By.ID, "fleet").is_displayed()
            assert browser.find_element(By.ID, "fleet-outbox").text.startswith("this host (a): ")
            assert [r[0] for r in rows(browser, "fleet-hosts")] == ["a", "b"]
            assert rows(browser, "fleet-quarantined") == [["restart_web", "process:web", "2"]]
            assert sorted(r[1:] for r in rows(browser, "fleet-record")) == [
                ["kill_web", "1", "2", "2"],
                ["restart_web", "2", "0", "2"],
            ]
            await asyncio.to_thread(screenshot, browser, tmp_path, "live-page-fleet.png")
    finally:
        queue.close()


async def test_on_a_host_in_no_fleet_the_section_stays_hidden(
    tmp_path: Path, browser: webdriver.Chrome
) -> None:
    queue = SqliteStore(tmp_path / "queue.db")
    try:
        async with Api(tmp_path, approvals=queue) as api:
            await open_page(browser, f"{api.url}/")
            assert not browser.find_element(By.ID, "fleet").is_displayed()
            assert not browser.find_element(By.ID, "error").is_displayed()
    finally:
        queue.close()
