"""What a person meets in the browser (headless Debian Chromium over the tiny app): errors show
a message and keep every component; forms start with values that work; empty states say what
to do. Screenshots of every tab come from scripts/screenshots.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 60_000

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]
expect = playwright_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, tiny_app: Any) -> Iterator[Any]:
    """A fresh page (no session cookie) on the tiny app, its console messages in ``.console``."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.console = []
    page.on("console", lambda message: page.console.append((message.type, message.text)))
    page.goto(tiny_app.url)
    expect(page.locator("#search-results")).to_be_attached()
    yield page
    context.close()


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).first.click()


def log_in(page: Any, password: str) -> None:
    open_tab(page, "Admin")
    page.locator("#admin-user textarea, #admin-user input").first.fill("admin")
    page.locator("#admin-password input").fill(password)
    page.locator("#admin-login-button").click()


def toast(page: Any) -> Any:
    return page.locator(".toast-body")


def assert_no_error_badge(page: Any, selector: str) -> None:
    """No status badge ("Error") replaces the component at ``selector``."""
    component = page.locator(selector)
    expect(component).to_be_visible()
    expect(component.locator(".error")).to_have_count(0)
    expect(component).not_to_contain_text("Error")


def test_a_wrong_password_shows_a_message_and_keeps_the_form(
    page: Any, admin_password: str
) -> None:
    log_in(page, admin_password + " wrong")
    expect(toast(page)).to_contain_text("Wrong user name or password")
    for selector in ("#admin-user", "#admin-password", "#admin-login-button"):
        assert_no_error_badge(page, selector)
    # the form still works: the right password logs in
    page.locator("#admin-password input").fill(admin_password)
    page.locator("#admin-login-button").click()
    expect(page.locator("#admin-panel")).to_contain_text("Logged in as admin")


def test_an_admin_action_while_logged_out_keeps_the_library(page: Any) -> None:
    open_tab(page, "Library")
    page.locator("#library-delete").click()
    expect(toast(page)).to_contain_text("Admin login required")
    for selector in ("#library-documents", "#library-delete-choice", "#library-collection"):
        assert_no_error_badge(page, selector)
