"""Printing the evidence report as PDF with Chromium, driven by Playwright (the one adapter for it).

Chromium is the system's (``AR_CHROMIUM_PATH``, default ``/usr/bin/chromium``); Playwright's own
browser downloads are not used. Printing runs in a thread of its own, so it works from a caller
that already runs an event loop (Playwright's sync API refuses to run inside one).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from pathlib import Path

from services.core.errors import UnavailableError

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PRINT_TIMEOUT_S = 300.0


def pdf_printer(chromium: Path) -> tuple[Callable[[bytes], bytes] | None, str]:
    """(printer, why not): a printer when Playwright and the Chromium binary are both here."""
    try:
        import playwright.sync_api  # noqa: F401 - only asking whether it is installed
    except ImportError:
        return None, "Playwright is not installed (pip install playwright)"
    if not chromium.exists():
        return None, f"no Chromium at {chromium} (apt-get install chromium, or set AR_CHROMIUM_PATH)"
    return (lambda html: print_pdf(html, chromium)), ""


def print_pdf(html: bytes, chromium: Path) -> bytes:
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="pdf") as pool:
        return pool.submit(_print, html, chromium).result(PRINT_TIMEOUT_S)


def _print(html: bytes, chromium: Path) -> bytes:
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_content(html.decode("utf-8"), wait_until="load")
                return page.pdf(
                    format="A4",
                    landscape=True,
                    print_background=True,
                    margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
                )
            finally:
                browser.close()
    except Error as exc:
        raise UnavailableError(f"Chromium could not print the report: {exc.message[:200]}") from None
