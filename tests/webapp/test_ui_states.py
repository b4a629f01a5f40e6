"""What a person meets in the browser (headless Chromium over the tiny app): errors show a
message and keep every component; empty states say what to do. Screenshots of every tab come
from scripts/screenshots.py."""

from __future__ import annotations

from typing import Any

import pytest
from browser_steps import expect, log_in, needs_chromium, open_tab, toast

pytestmark = [pytest.mark.timeout(600), needs_chromium]


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
