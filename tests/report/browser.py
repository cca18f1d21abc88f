"""A real headless Chromium driven by selenium, with a fresh profile, for the page tests.

Debian's `chromium` and `chromium-driver` (installed by .ci/run). Screenshots are saved in the
test's tmp dir and copied to `test-artifacts/` at the repository root (ignored by git)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO = Path(__file__).resolve().parents[2]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1300,1900",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    chromium, driver_binary = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_binary is None:
        pytest.fail("chromium and chromedriver are required (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_binary))
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: webdriver.Chrome, tmp_path: Path, name: str) -> Path:
    """Save a screenshot in the test's tmp dir and as a CI artifact under test-artifacts/."""
    shot = tmp_path / name
    assert driver.save_screenshot(str(shot)), "no screenshot"
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copyfile(shot, artifacts / name)
    return shot
