"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Python playwright;
never a downloaded browser) with the real multilingual default model: log in, upload documents
in three languages, wait for indexing, search in a fourth language and find the right one;
then, as admin, validate a tiny bitext, train a few steps and read the evaluation table.

Screenshots of each step go to a temporary directory (docs/screenshots comes from
scripts/screenshots.py). Every request the page makes must stay on the app's host.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from browser_steps import CHROMIUM, FLAGS, TRAINING_TIMEOUT_MS, log_in, train_and_follow

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
UPLOADS = ["river_fr.md", "bakery_es.html", "train_de.txt"]  # French, Spanish, German
QUERY = "When does the bakery open in the morning?"  # English
TIMEOUT_MS = 120_000
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.slow,
    # training waits up to TRAINING_TIMEOUT_MS; uploads, indexing and searches come on top
    pytest.mark.timeout(TRAINING_TIMEOUT_MS // 1000 + 600),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def test_upload_three_languages_and_search_in_a_fourth(
    real_app: Any, admin_password: str, bitext: Path, tmp_path: Path
) -> None:
    app_host = urlparse(real_app.url).netloc
    outside: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=FLAGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(TIMEOUT_MS)
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if urlparse(r.url).scheme in {"http", "https", "ws", "wss"}
                and urlparse(r.url).netloc != app_host
                else None
            ),
        )
        page.goto(real_app.url)
        expect = playwright_api.expect
        expect(page.locator("#search-results")).to_contain_text("Nothing is indexed yet")
        page.screenshot(path=tmp_path / "search-empty.png")

        log_in(page, admin_password)
        expect(page.locator("#admin-panel")).to_contain_text("Logged in as admin")

        page.get_by_role("tab", name="Library").click()
        collection = page.locator("#library-collection input")
        collection.fill("e2e-docs")
        collection.press("Enter")
        page.locator("#library-files input[type=file]").set_input_files(
            [str(DOCS / name) for name in UPLOADS]
        )
        for name in UPLOADS:  # shown as "stem .ext" once uploaded
            expect(page.locator("#library-files")).to_contain_text(Path(name).stem)
        page.locator("#library-upload").click()
        jobs = page.locator('#library-jobs [data-status="succeeded"]')
        expect(jobs).to_have_count(len(UPLOADS), timeout=TIMEOUT_MS)
        expect(page.locator("#library-documents")).to_contain_text("e2e-docs")
        page.screenshot(path=tmp_path / "library.png", full_page=True)

        page.get_by_role("tab", name="Search").click()
        page.locator("#search-query textarea, #search-query input").first.fill(QUERY)
        page.locator("#search-button").click()
        first_card = page.locator("#search-results .mx-card").first
        # the document's <title>, its file name beside it, and how well it matches
        expect(first_card.locator(".mx-doc")).to_have_text("Panadería del Puente")
        expect(first_card.locator(".mx-file")).to_have_text("bakery_es.html")
        expect(first_card.locator(".mx-relevance")).to_contain_text("match")
        # the answer's sentence is highlighted in the card: in its best passage or in one of the
        # document's next ones folded below it (with the title prepended for embedding, the
        # FAQ passage of this small page can rank first)
        expect(first_card.locator("mark", has_text="abre a las seis")).to_have_count(1)
        expect(first_card.locator(".mx-also summary")).to_contain_text("from this document")
        page.screenshot(path=tmp_path / "search.png")

        first_card.locator(".mx-more").click()
        expect(page.locator("#search-document input")).to_have_value(re.compile("bakery_es.html"))
        documents = page.locator("#search-results .mx-card .mx-file")
        expect(documents.first).to_have_text("bakery_es.html")
        assert set(documents.all_inner_texts()) == {"bakery_es.html"}

        page.get_by_role("tab", name="Admin").click()
        train_and_follow(page, bitext)
        page.screenshot(path=tmp_path / "admin-training.png", full_page=True)
        page.get_by_role("tab", name="Models").click()
        expect(page.locator("#admin-models")).to_contain_text("candidate")
        page.screenshot(path=tmp_path / "admin-models.png", full_page=True)
        browser.close()
    assert outside == [], f"the page reached other hosts: {outside}"
