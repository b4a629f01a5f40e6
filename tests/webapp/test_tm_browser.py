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

pytestmark = [pytest.mark.timeout(600), needs_chromium]
SENTENCES = [f"Sentence {n} tells how river {n} passes bakery {n % 5}." for n in range(24)]


def _pick(page: Any, selector: str, value: str) -> None:
    box = page.locator(f"{selector} input").first
    box.fill(value)
    box.press("Enter")


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
