"""What a person meets in the browser (headless Chromium over the tiny app): errors show a
message and keep every component; empty states say what to do. Screenshots of every tab come
from scripts/screenshots.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_steps import expect, log_in, needs_chromium, open_tab, toast

pytestmark = [pytest.mark.timeout(600), needs_chromium]
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


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


def test_a_refused_delete_keeps_the_library(page: Any) -> None:
    open_tab(page, "Library")
    page.locator("#library-delete").click()
    expect(toast(page)).to_contain_text("Choose a document to delete")
    for selector in ("#library-documents", "#library-delete-choice", "#library-collection"):
        assert_no_error_badge(page, selector)


def test_the_search_tab_says_what_to_do_and_which_model_answers(page: Any, tiny_app: Any) -> None:
    (job_id,) = tiny_app.services.ingest_paths([DOCS / "river_fr.md"], "search-states")
    tiny_app.services.wait_for_job(job_id, timeout=120)
    tiny_app.services.accounts.set_public("search-states")  # read by the page's visitor
    page.reload()
    results = page.locator("#search-results")
    expect(results).to_contain_text("Search in any language")
    page.locator("#search-query textarea, #search-query input").first.fill("   ")
    page.locator("#search-button").click()
    expect(results).to_contain_text("Type a question or a few words")
    for name in ("languages", "collections"):
        expect(page.locator(f"#search-{name}")).to_contain_text("empty: any")
    live = next(v for v in tiny_app.services.list_model_versions() if v.live)
    expect(page.locator("#search-model")).to_contain_text(f"Search model: {live.name}")

    page.locator("#search-query textarea, #search-query input").first.fill("la rivière")
    page.locator("#search-button").click()
    card = results.locator(".mx-card").first
    expect(card.locator(".mx-file")).to_have_text("river_fr.md")


def test_the_library_filters_by_language_and_pages(page: Any, tiny_app: Any) -> None:
    jobs = tiny_app.services.ingest_paths([DOCS / "train_de.txt", DOCS / "train_zh.txt"], "lib")
    tiny_app.services.wait_for_jobs(jobs, 120)
    tiny_app.services.accounts.set_public("lib")  # read by the page's visitor
    open_tab(page, "Library")
    page.locator("#library-refresh").click()
    table = page.locator("#library-documents")
    expect(table).to_contain_text("train_zh.txt")
    expect(page.locator("#library-page-note")).to_contain_text("Page 1 of 1")
    page.locator("#library-language input").click()
    page.get_by_role("option", name="de", exact=True).click()
    expect(table).not_to_contain_text("train_zh.txt")
    expect(table).to_contain_text("train_de.txt")
    # readable headers, no sideways scrolling at 1400 px
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1400
    header = page.locator("#library-documents th", has_text="collection").first
    assert header.evaluate("e => e.getBoundingClientRect().height") < 60


def test_the_password_field_is_in_a_form_and_the_console_stays_quiet(
    page: Any, admin_password: str
) -> None:
    open_tab(page, "Admin")
    password = page.locator("#admin-password input")
    expect(page.locator("#admin-login-form #admin-password input")).to_be_attached()
    assert password.get_attribute("autocomplete") == "current-password"
    log_in(page, admin_password)
    expect(page.locator("#admin-panel")).to_contain_text("Logged in as admin")
    page.wait_for_timeout(1000)
    # (Chromium may log a verbose note for the field's first moment, before the page's script
    # puts it into the form)
    assert [text for kind, text in page.console if kind in {"warning", "error"}] == []
