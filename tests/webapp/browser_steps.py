"""Steps for the Chromium tests of the UI (Debian's /usr/bin/chromium, headless,
driven by Python playwright; never a downloaded browser); the ``browser`` and ``page``
fixtures are in conftest.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# nothing in the browser may reach outside hosts (see docs on the platform)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)
expect = playwright_api.expect


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).first.click()


def log_in(page: Any, password: str) -> None:
    open_tab(page, "Admin")
    # the page's script moves the login box into a form once it is drawn: fill it after that
    expect(page.locator("#admin-login-form #admin-login")).to_be_attached()
    page.locator("#admin-user textarea, #admin-user input").first.fill("admin")
    page.locator("#admin-password input").fill(password)
    page.locator("#admin-login-button").click()


def toast(page: Any) -> Any:
    return page.locator(".toast-body")
