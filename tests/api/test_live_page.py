"""The live page of a real `mapekd run`, in a real headless Chromium: a high-risk remedy waits
for an approval, a person approves it with the page's button, the daemon runs it, and the page
follows without being reloaded."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import free_port, wait_for
from tests.e2e.conftest import daemons, service
from tests.e2e.harness import Daemon, Service, base_config, kill
from tests.report.browser import browser, screenshot

__all__ = ["browser", "daemons", "service"]

TOKEN = "live-page-token-0123456789"
SIGNATURE = "svc_down@process:svc_process"


def live_config(tmp_path: Path, service: Service, port: int) -> dict[str, Any]:
    config = base_config(tmp_path, service)
    config["actions"][0]["risk"] = "high"  # a high-risk remedy always waits for a person
    config["plan"] = {"llm": "never", "analyze": False}
    config["llm"] = {"providers": [{"name": "canned", "type": "offline"}]}
    config["api"] = {
        "enabled": True,
        "host": "127.0.0.1",
        "port": port,
        "tokens": [
            {"name": "ops", "token": TOKEN, "rights": ["read", "approve"]},
            # `mapekd status` sends only a token whose rights are read alone
            {"name": "viewer", "token": "viewer-token-0123456789", "rights": ["read"]},
        ],
    }
    return config


def approvals(db: Path) -> list[tuple[int, str, str | None]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, state, decided_by FROM approvals ORDER BY id").fetchall()
    finally:
        conn.close()


def status(daemon: Daemon) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "mapekd", "status", "--json", "--config", str(daemon.config_path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=daemon.tmp,
    )
    return dict(json.loads(done.stdout))


def log_in(driver: webdriver.Chrome, token: str) -> None:
    wait = WebDriverWait(driver, 30)
    field = wait.until(ready.visibility_of_element_located((By.ID, "token")))
    field.send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()


def test_an_approval_clicked_in_the_page_runs_the_remedy(
    tmp_path: Path, service: Service, daemons: list[Daemon], browser: webdriver.Chrome
) -> None:
    port = free_port()
    first_pid = service.start()
    daemon = Daemon(tmp_path, live_config(tmp_path, service, port))
    daemons.append(daemon)
    daemon.start()
    url = f"http://127.0.0.1:{port}/"
    page = httpx.get(url, timeout=5)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(f"{url}live/live.js", timeout=5)
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{url}live/live.py", timeout=5).status_code == 404  # only the two assets
    assert httpx.get(f"{url}api/v1/status", timeout=5).status_code == 401  # the data need the token

    kill(first_pid)
    wait_for(lambda: approvals(tmp_path / "kb.db"), message="the remedy waits for an approval")
    assert service.pid() == first_pid and not service.healthy()  # nothing ran without it

    browser.get(url)
    log_in(browser, "not-the-token-0123456789")
    wait = WebDriverWait(browser, 30)
    wait.until(ready.text_to_be_present_in_element((By.ID, "login-error"), "The token was refused."))
    log_in(browser, TOKEN)
    browser.execute_script("window.notReloaded = true")
    approve = wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, "button[data-decision=approve]")))
    row = browser.find_element(By.CSS_SELECTOR, "#approvals tr[data-approval]")
    assert "start_svc" in row.text and SIGNATURE in row.text
    incident = browser.find_element(By.CSS_SELECTOR, "#incidents details")
    assert SIGNATURE in incident.text and "pending_approval" in incident.text
    screenshot(browser, tmp_path, "live-page-approval.png")
    approve.click()

    wait.until(ready.text_to_be_present_in_element((By.ID, "decision"), "approved by ops"))
    new_pid = wait_for(lambda: (p := service.pid()) != first_pid and p, message="the approved remedy ran")
    wait_for(service.healthy, message="the service healthy again")
    assert new_pid != first_pid and approvals(tmp_path / "kb.db") == [(1, "executed", "ops")]
    # The page follows by itself: the approval is gone, the incident resolved, the check is ok.
    wait.until(ready.text_to_be_present_in_element((By.ID, "approvals"), "none waiting"))
    wait.until(ready.text_to_be_present_in_element((By.ID, "incidents-count"), "(0)"))
    wait.until(
        ready.text_to_be_present_in_element((By.CSS_SELECTOR, "tr[data-check=svc_process] .state"), "ok")
    )
    assert browser.execute_script("return window.notReloaded") is True
    screenshot(browser, tmp_path, "live-page-after.png")
    live = status(daemon)  # `mapekd status` reads the same daemon through its API
    assert live["api"]["live"] is True and live["daemon"]["source"] == "api"
    assert {c["name"]: c["state"] for c in live["checks"]} == {"svc_process": "ok", "svc_http": "ok"}
    report = daemon.incident(SIGNATURE)
    assert report is not None and report["status"] == "resolved"
    execution = next(e for e in report["timeline"] if e["kind"] == "execution")
    assert execution["state"] == "succeeded" and execution["action"] == "start_svc"
    assert daemon.stop() == 0
