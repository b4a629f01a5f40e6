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
TRAINING_TIMEOUT_MS = 600_000
# a few steps of real training: enough to see the curves and the evaluation table
TRAINING_FORM = {
    "held_out": 8,
    "max_steps": 6,
    "batch_size": 4,
    "grad_accumulation": 1,
    "max_length": 32,
    "eval_every": 3,
}

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


def _fill(page: Any, field: str, value: object) -> None:
    page.locator(f"#training-{field} input, #training-{field} textarea").first.fill(str(value))


def train_and_follow(page: Any, bitext: Path) -> None:
    """Validate a bitext, start a short training run and wait for its evaluation table."""
    page.locator("#training-bitext input[type=file]").set_input_files(str(bitext))
    expect(page.locator("#training-bitext")).to_contain_text(bitext.stem)
    # the file's header is offered as the columns to choose from
    for side, column in (("src", "en"), ("trg", "es")):
        choice = page.locator(f"#training-{side}-column")
        choice.locator("input").click()
        choice.get_by_role("option", name=column, exact=True).click()
    page.locator("#training-validate").click()
    expect(page.locator("#training-report")).to_contain_text("Ready to train")
    expect(page.locator("#training-report")).to_contain_text(
        "columns: en (source), es (target) of en, es"
    )
    expect(page.locator("#training-report")).to_contain_text("pairs kept: 60")
    page.locator("#training-advanced").get_by_text("Advanced").click()
    for field, value in TRAINING_FORM.items():
        _fill(page, field, value)
    page.locator("#training-start").click()
    job = page.locator("#admin-job-view .mx-job", has_text=f"train: {bitext.name}")
    expect(job).to_have_attribute("data-status", "succeeded", timeout=TRAINING_TIMEOUT_MS)
    expect(page.locator("#admin-eval")).to_contain_text("Translation retrieval error, margin")
    expect(page.locator("#admin-training-view")).to_contain_text("Training losses")
