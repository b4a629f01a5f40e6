"""Destructive actions ask first: what the question says (promote: the candidate's held-out
error before and after, a warning when it is not better, the metrics that got worse; re-read:
the old and new encoding), and in Chromium that Keep keeps and Confirm acts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from browser_steps import expect, log_in, needs_chromium, open_tab

from mexma_search.app.access import OPERATOR
from mexma_search.app.model_checks import worse_metrics
from mexma_search.app.views import DocumentInfo, ModelVersionInfo
from mexma_search.webapp import formatting

pytestmark = [pytest.mark.timeout(600)]
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"


def _version(metrics: dict[str, Any]) -> ModelVersionInfo:
    return ModelVersionInfo(
        name="ft-1",
        status="candidate",
        live=False,
        source="fine-tuned",
        path="/models/ft-1",
        pooling="mean",
        dimension=384,
        qdrant_collection=None,
        metrics=metrics,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("before", "after", "warned"), [(12.0, 8.5, False), (8.0, 8.0, True), (8.0, 9.25, True)]
)
def test_the_promote_question_shows_before_and_after_and_warns_when_not_better(
    before: float, after: float, warned: bool
) -> None:
    metrics = {
        "before": {formatting.HEADLINE_METRIC: before},
        "after": {"xsim_margin_error": after},
    }
    html = formatting.promote_question(_version(metrics))
    assert f"{before:.2f} % before training, {after:.2f} % after" in html
    assert ("not better" in html) is warned


def test_the_promote_question_warns_about_a_model_never_evaluated() -> None:
    html = formatting.promote_question(_version({}))
    assert "no held-out evaluation" in html and "mx-warning" in html


def test_the_promote_question_lists_the_metrics_that_got_worse() -> None:
    metrics = {
        "before": {formatting.HEADLINE_METRIC: 9.0, "retrieval_same_recall@1": 62.0},
        "after": {formatting.HEADLINE_METRIC: 7.0, "retrieval_same_recall@1": 55.0},
    }
    worse = worse_metrics(metrics)
    assert [change.name for change in worse] == ["retrieval_same_recall@1"]
    html = formatting.promote_question(_version(metrics), worse)
    assert "Worse after training: Search, same language: recall@1 (%) 62.00 → 55.00" in html
    assert "not better" not in html
    assert "Worse after training" not in formatting.promote_question(_version(metrics))


@needs_chromium
def test_delete_asks_first_keep_keeps_and_confirm_deletes(
    page: Any, tiny_app: Any, admin_password: str
) -> None:
    (job_id,) = tiny_app.services.ingest_paths([DOCS / "train_de.txt"], "confirm-test")
    document_id = tiny_app.services.wait_for_job(job_id, timeout=120).parameters["document_id"]
    log_in(page, admin_password)
    expect(page.locator("#admin-panel")).to_contain_text("Logged in as admin")
    open_tab(page, "Library")
    page.locator("#library-refresh").click()
    choice = page.locator("#library-delete-choice input")
    choice.click()
    page.get_by_role("option", name=f"#{document_id} train_de.txt").click()
    question = page.locator("#library-confirm-delete")

    page.locator("#library-delete").click()
    expect(question).to_contain_text(f"Delete document #{document_id} train_de.txt")
    expect(question).to_contain_text("cannot be undone")
    page.locator("#library-confirm-delete-no").click()
    expect(question).to_be_hidden()
    assert document_id in _document_ids(tiny_app)

    page.locator("#library-delete").click()
    page.locator("#library-confirm-delete-yes").click()
    expect(page.locator(".toast-body")).to_contain_text(f"Deleted document #{document_id}")
    assert document_id not in _document_ids(tiny_app)


def _document_ids(app: Any) -> set[int]:
    return {document.id for document in app.services.list_documents(limit=1000)}


def test_the_reread_question_names_the_old_and_new_encoding() -> None:
    document = tiny_document(encoding="cp1252")
    html = formatting.reread_question(document, "cp1250")
    assert "Read document #7 den.txt again as cp1250 (it was read as cp1252)?" in html
    assert "stay searchable until the new ones replace them" in html
    assert "it was read as" not in formatting.reread_question(tiny_document(), "utf-8")


@needs_chromium
def test_reread_asks_first_and_reads_the_document_in_the_chosen_encoding(
    page: Any, tiny_app: Any, admin_password: str, tmp_path: Path
) -> None:
    czech = tmp_path / "den.txt"
    czech.write_bytes("Dobrý den, jak se máš? Mám se dobře, děkuji.\n".encode("cp1250"))
    (job_id,) = tiny_app.services.ingest_paths([czech], "reread-test")
    document_id = tiny_app.services.wait_for_job(job_id, timeout=120).parameters["document_id"]
    log_in(page, admin_password)
    expect(page.locator("#admin-panel")).to_contain_text("Logged in as admin")
    open_tab(page, "Library")
    page.locator("#library-refresh").click()
    row = page.locator("#library-documents tr", has_text="den.txt")
    expect(row).to_contain_text("cp1252")
    page.locator("#library-reread").click()
    expect(page.locator(".toast-body")).to_contain_text("Choose a document to read again")
    page.locator("#library-delete-choice input").click()
    page.get_by_role("option", name=f"#{document_id} den.txt").click()
    page.locator("#library-encoding input").click()
    page.get_by_role("option", name="Windows-1250 (Central European)").click()
    question = page.locator("#library-confirm-reread")

    page.locator("#library-reread").click()
    expect(question).to_contain_text(f"Read document #{document_id} den.txt again as cp1250")
    page.locator("#library-confirm-reread-yes").click()
    expect(page.locator(".toast-body").last).to_contain_text(
        f"Reading document #{document_id} again"
    )
    expect(row).to_contain_text("cp1250", timeout=60_000)
    document = tiny_app.services.get_document(document_id, caller=OPERATOR)
    assert document.encoding == "cp1250"


def tiny_document(encoding: str | None = None) -> DocumentInfo:
    return DocumentInfo(
        id=7,
        collection="c",
        filename="den.txt",
        file_type="txt",
        size_bytes=40,
        status="indexed",
        error=None,
        languages=["cs"],
        n_chunks=2,
        duplicate_of_id=None,
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        encoding=encoding,
    )
