"""Browser tests drive the system Chromium (``/usr/bin/chromium``) with Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.campaign.conftest import clock, deps, scenario, site  # noqa: F401 - campaign fixtures for the browser tests

CHROMIUM = Path(os.environ.get("AR_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package")  # Playwright's sync API holds this thread's event loop until it exits
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.skip(f"no system Chromium at {CHROMIUM} (apt-get install -y chromium); `playwright install` is not used")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
