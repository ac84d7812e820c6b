"""Fixtures for the browser tests of tests/web: a real headless Debian chromium through chromedriver.

``chromium(width, height)`` opens one (a context manager giving the selenium driver); a missing
browser is a failure with the command to install it, never a skip (.ci/run installs it).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

#: ``chromium(width, height)`` → a context manager giving a selenium driver with that window size.
Chromium = Callable[[int, int], AbstractContextManager[webdriver.Chrome]]


@contextmanager
def _chromium(width: int, height: int) -> Iterator[webdriver.Chrome]:
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.fail(
            "chromium and chromedriver are required: apt-get install -y chromium chromium-driver (make test does)"
        )
    profile = tempfile.mkdtemp(prefix="bordergraph-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",  # nothing but loopback resolves
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    """Open a headless chromium with a given window size."""
    return _chromium
