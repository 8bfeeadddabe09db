"""A console app served by uvicorn on a free loopback port, with a headless Chromium driven by Selenium
(Debian's chromium and chromium-driver; skipped where they are not installed)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from harness.web import served

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@contextmanager
def served_in_chromium(app: Any) -> Iterator[tuple[Any, str]]:
    """(the driver, the console's URL); the server and the browser stopped after."""
    if not (CHROMIUM and DRIVER):
        pytest.skip("chromium and chromium-driver are not installed (.ci/system-packages installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(argument)
    with served(app) as url:
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        try:
            yield driver, url
        finally:
            driver.quit()


def wait_for(predicate: Any, timeout: float = 60.0) -> None:
    """Until ``predicate()`` holds; a page still loading (its element not there yet, or gone) is not yet."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except (NoSuchElementException, StaleElementReferenceException):
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
