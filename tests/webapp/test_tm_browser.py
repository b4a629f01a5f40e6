"""The Translation memory tab's mining and alignment panel in headless Chromium over the tiny
app: hidden until an admin logs in (and again after logout); there the admin aligns two
documents, filters the pairs, downloads them and opens them in the Admin tab's training form,
which validates them (the tiny model aligns two copies of an English document, whose en-en
pairs the report then refuses: training on mined pairs is tests/tm/test_tm_jobs_panel.py's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_steps import expect, log_in, needs_chromium, open_tab

from mexma_search.store import NewSegment

pytestmark = [pytest.mark.timeout(600), needs_chromium]
SENTENCES = [f"Sentence {n} tells how river {n} passes bakery {n % 5}." for n in range(24)]


def _pick(page: Any, selector: str, value: str) -> None:
    box = page.locator(f"{selector} input").first
    box.fill(value)
    box.press("Enter")


def _choose(page: Any, selector: str, label: str) -> None:
    page.locator(f"{selector} input").first.click()
    page.get_by_role("option", name=label, exact=True).click()


def test_an_admin_aligns_documents_and_opens_the_pairs_in_the_training_form(
    page: Any, tiny_app: Any, admin_password: str, tmp_path: Path
) -> None:
    document_ids = []
    for name in ("left", "right"):
        path = tmp_path / f"{name}.txt"
        path.write_text("\n\n".join(SENTENCES) + "\n", encoding="utf-8")
        (job_id,) = tiny_app.services.ingest_paths([path], f"tm-browser-{name}")
        job = tiny_app.services.wait_for_job(job_id, timeout=120)
        document_ids.append(job.parameters["document_id"])
    open_tab(page, "Translation memory")
    expect(page.locator("#tm-query")).to_be_visible()
    expect(page.locator("#tm-admin")).to_be_hidden()
    log_in(page, admin_password)
    expect(page.locator("#admin-panel")).to_contain_text("Logged in as admin")
    open_tab(page, "Translation memory")
    expect(page.locator("#tm-admin")).to_be_visible()
    page.locator("#tm-align").get_by_text("Align two documents").first.click()
    _pick(page, "#tm-align-src", f"#{document_ids[0]}")
    _pick(page, "#tm-align-trg", f"#{document_ids[1]}")
    page.locator("#tm-align-start").click()
    # the admin tab's timer shows the pairs once the job has ended
    expect(page.locator("#tm-summary")).to_contain_text("of 24 matching", timeout=120_000)
    expect(page.locator("#tm-pairs")).to_contain_text(SENTENCES[0])
    contains = page.locator("#tm-contains textarea, #tm-contains input").first
    contains.fill("river 13 ")
    contains.press("Enter")
    expect(page.locator("#tm-summary")).to_contain_text("pairs 1–1 of 1 matching (24 in all)")
    page.locator("#tm-export").click()
    expect(page.locator("#tm-export-file")).to_contain_text(".tmx")
    contains.fill("")
    contains.press("Enter")
    expect(page.locator("#tm-summary")).to_contain_text("of 24 matching")
    page.locator("#tm-use-for-training").click()
    # the page switched to the Admin tab's training form
    expect(page.locator("#training-bitext")).to_be_visible()
    expect(page.locator("#tm-admin")).to_be_hidden()
    expect(page.locator("#training-bitext")).to_contain_text("align-")
    report = page.locator("#training-report")
    expect(report).to_contain_text("align-")
    expect(report).to_contain_text("source and target language are both 'en'")
    expect(page.locator("#training-start")).to_be_disabled()
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#admin-login")).to_be_visible()
    open_tab(page, "Translation memory")
    expect(page.locator("#tm-query")).to_be_visible()
    expect(page.locator("#tm-admin")).to_be_hidden()
    errors = [text for kind, text in page.console if kind == "error"]
    assert not errors, errors


def test_an_admin_renames_and_deletes_a_memory_after_confirming(
    page: Any, tiny_app: Any, admin_password: str
) -> None:
    pairs = [NewSegment("en", "es", "The bakery opens.", "La panadería abre.")]
    tiny_app.services.add_pairs_to_tm(None, "doomed", "tm-browser-manage", pairs, "import")
    tiny_app.services.add_pairs_to_tm(None, "kept", "tm-browser-manage", pairs, "import")
    open_tab(page, "Translation memory")
    expect(page.locator("#tm-manage")).to_be_hidden()
    log_in(page, admin_password)
    # the manage section is shown by the login's reply: wait for it before switching tabs
    expect(page.locator("#admin-panel")).to_contain_text("Logged in as admin")
    open_tab(page, "Translation memory")
    expect(page.locator("#tm-manage")).to_be_visible()
    _choose(page, "#tm-manage-name", "tm-browser-manage/kept (1 pairs)")
    page.locator("#tm-manage-new-name textarea, #tm-manage-new-name input").first.fill("kept")
    page.locator("#tm-rename").click()
    expect(page.locator(".toast-body").first).to_contain_text("already called")
    _choose(page, "#tm-manage-name", "tm-browser-manage/doomed (1 pairs)")
    page.locator("#tm-delete").click()
    expect(page.locator("#tm-confirm-delete")).to_contain_text("Delete translation memory")
    page.locator("#tm-confirm-delete-yes").click()
    expect(page.locator("#tm-manage-status")).to_contain_text("tm-browser-manage/doomed")
    left = tiny_app.services.list_tms()
    assert [m.name for m in left if m.collection == "tm-browser-manage"] == ["kept"]
    errors = [text for kind, text in page.console if kind == "error"]
    assert not errors, errors
