"""Browser tests of the dashboard: Playwright (sync API) driving Debian's Chromium.

Playwright cannot download its own browsers here, so it launches the system's Chromium
(``/usr/bin/chromium``, or ``$STAGEMOCK_CHROMIUM``). Missing Playwright or Chromium is a
failure with the install command, never a skip: CI installs both."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("STAGEMOCK_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: while Playwright's sync API runs, the main thread has a
    # running event loop, and other modules' tests that call asyncio.run() would fail.
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the dashboard's browser tests need Playwright for Python: "
            "`.venv/bin/pip install playwright` (its own browser download is not used)",
            pytrace=False,
        )
    executable = chromium_path()
    if executable is None:
        pytest.fail(
            "the dashboard's browser tests need Chromium: `apt-get install -y chromium` "
            "(Debian's package; or set STAGEMOCK_CHROMIUM to a Chromium binary)",
            pytrace=False,
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(10_000)
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(pg: Any, name: str, **kwargs: Any) -> Path:
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / name
    pg.screenshot(path=str(path), **kwargs)
    return path
