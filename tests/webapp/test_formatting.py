"""What the UI renders from the services' records: escaped, highlighted, with progress."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mexma_search.app.formatting import counted, format_duration, model_description
from mexma_search.app.views import (
    BusyWorker,
    DocumentInfo,
    JobInfo,
    ModelVersionInfo,
    SearchPage,
    SearchResult,
    WorkerStatus,
)
from mexma_search.encoder.config import DEFAULT_MODEL_NAME
from mexma_search.encoder.training.callbacks import TrainerState
from mexma_search.jobs.train_progress import progress_message
from mexma_search.webapp import formatting

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _result(**overrides: Any) -> SearchResult:
    fields: dict[str, Any] = {
        "score": 0.8123,
        "text": "First sentence. The bakery opens at six. Last one.",
        "sentence": "The bakery opens at six.",
        "sentence_start": 16,
        "sentence_end": 40,
        "lang": "en",
        "document": "bakery.txt",
        "document_id": 7,
        "collection": "default",
        "chunk": 0,
        "chunk_id": 1,
        "model_version": "tiny",
        **overrides,
    }
    return SearchResult(**fields)


def _job(**overrides: Any) -> JobInfo:
    fields: dict[str, Any] = {
        "id": 3,
        "kind": "ingest",
        "status": "running",
        "stage": "embedding",
        "done": 25,
        "total": 100,
        "message": None,
        "error": None,
        "parameters": {"filename": "river.txt"},
        "metrics": {},
        "cancel_requested": False,
        "created_at": NOW - timedelta(minutes=2),
        "started_at": NOW - timedelta(seconds=30),
        "finished_at": None,
        "heartbeat_at": None,
        **overrides,
    }
    return JobInfo(**fields)


def test_a_card_marks_the_best_sentence_and_links_to_its_document() -> None:
    card = formatting.result_card(_result())
    assert "First sentence. <mark>The bakery opens at six.</mark> Last one." in card
    assert 'data-document="7"' in card
    assert "0.812" in card and ">en<" in card and "bakery.txt" in card


def test_a_card_folds_the_documents_next_best_passages() -> None:
    more = (_result(text="<i>Second</i> hit", sentence_end=6), _result(text="Third hit"))
    card = formatting.result_card(_result(passages=more))
    assert "<summary>2 more passages from this document</summary>" in card
    assert "&lt;i&gt;Second" in card and "Third hit" in card
    assert "<details" not in formatting.result_card(_result())


def test_a_card_escapes_document_text_and_names() -> None:
    text = "<script>alert(1)</script> & <b>bold</b>"
    card = formatting.result_card(
        _result(text=text, sentence_start=0, sentence_end=8, document='"><img src=x>')
    )
    assert "<script>" not in card and "<b>" not in card and "<img" not in card
    assert "<mark>&lt;script&gt;</mark>" in card
    assert "&quot;&gt;&lt;img src=x&gt;" in card


def test_a_sentence_that_is_the_whole_passage_or_out_of_range_is_not_marked() -> None:
    text = "Only one sentence."
    assert (
        formatting.highlighted_passage(_result(text=text, sentence_start=0, sentence_end=18))
        == text
    )
    assert "<mark>" not in formatting.highlighted_passage(_result(sentence_end=500))


def test_a_card_shows_the_title_the_file_name_and_the_relevance_label() -> None:
    card = formatting.result_card(_result(document_title="<b>Opening hours</b>", relevance="good"))
    assert '<span class="mx-doc">&lt;b&gt;Opening hours&lt;/b&gt;</span>' in card
    assert '<span class="mx-file">bakery.txt</span>' in card
    assert 'class="mx-relevance mx-rel-good"' in card and ">good match<" in card
    assert "cosine similarity 0.812" in card
    untitled = formatting.result_card(_result(document_title="bakery.txt"))
    assert "mx-file" not in untitled and '<span class="mx-doc">bakery.txt</span>' in untitled
    assert "mx-relevance" not in untitled and ">0.812<" in untitled  # an uncalibrated model


def _page(results: tuple[SearchResult, ...], **overrides: Any) -> SearchPage:
    fields: dict[str, Any] = {
        "results": results,
        "page": 1,
        "page_size": 2,
        "has_next": False,
        "hidden": 0,
        "show_all": False,
        **overrides,
    }
    return SearchPage(**fields)


def test_no_good_match_tells_how_to_see_the_poor_matches() -> None:
    html = formatting.result_page(_page((), hidden=3), "<i>pan</i>")
    assert "No good match" in html and "3 poor matches are hidden" in html
    assert "<i>" not in html
    shown = formatting.result_page(_page((_result(),), hidden=1), "pan")
    assert 'class="mx-card"' in shown and "1 poor match is hidden" in shown
    assert "hidden" not in formatting.result_page(_page((_result(),)), "pan")
    assert "No results" in formatting.result_page(_page(()), "pan")


def test_the_page_label_counts_from_the_page_start() -> None:
    page = _page((_result(), _result()), page=3, has_next=True)
    assert formatting.page_label(page) == "Page 3 · results 5–6"
    assert formatting.page_label(_page(())) == ""


def test_no_results_says_so_and_escapes_the_query() -> None:
    html = formatting.result_cards([], "<i>pan</i>")
    assert "No results" in html and "<i>" not in html


def test_progress_shows_stage_counts_and_eta() -> None:
    html = formatting.job_progress(_job(), now=NOW)
    assert 'value="0.2500"' in html
    assert "embedding · 25/100 · ETA 1 min 30 s" in html
    assert "river.txt" in html and "mx-run" in html


def test_a_failed_job_shows_its_escaped_error_and_no_bar() -> None:
    job = _job(status="failed", error="<b>broken.pdf</b>: not a PDF", total=None, done=0)
    html = formatting.job_progress(job, now=NOW)
    assert "<progress" not in html and "mx-bad" in html
    assert "&lt;b&gt;broken.pdf&lt;/b&gt;: not a PDF" in html


def test_eta_is_unknown_without_progress_or_once_finished() -> None:
    assert formatting.eta_seconds(_job(done=0), NOW) is None
    assert formatting.eta_seconds(_job(total=None), NOW) is None
    assert formatting.eta_seconds(_job(status="succeeded"), NOW) is None
    assert formatting.eta_seconds(_job(done=50), NOW) == 30.0


def test_durations_read_naturally() -> None:
    assert [format_duration(s) for s in (4.4, 185, 7800)] == ["4 s", "3 min 5 s", "2 h 10 min"]


def test_the_ui_and_the_training_message_write_an_eta_alike() -> None:
    job = _job(eta_seconds=185.0, heartbeat_at=NOW)
    message = progress_message(TrainerState(total_steps=10, step=4, eta_seconds=185.0))
    assert "ETA 3 min 5 s" in formatting.job_progress(job, now=NOW)
    assert message.endswith(", 3 min 5 s left")


def test_document_rows_show_languages_counts_and_why_they_failed() -> None:
    documents = [
        DocumentInfo(1, "default", "a.pdf", "pdf", 10, "failed", "not a PDF", [], 0, None, NOW),
        DocumentInfo(2, "default", "b.txt", "txt", 10, "duplicate", None, [], 0, 1, NOW),
        DocumentInfo(3, "news", "c.md", "md", 10, "indexed", None, ["fr", "en"], 4, None, NOW),
    ]
    rows = formatting.document_rows(documents)
    assert rows[0][-2:] == ["failed", "not a PDF"]
    assert rows[1][-1] == "duplicate of #1"
    assert rows[2][2:5] == ["news", "fr, en", 4]
    assert formatting.document_choices(documents)[2] == ("#3 c.md (news)", 3)


def test_queue_summary_counts_jobs_by_status() -> None:
    jobs = [_job(), _job(status="queued"), _job(status="queued")]
    assert formatting.queue_summary(jobs) == "2 queued · 1 running"
    assert formatting.queue_summary([]) == "no jobs"


def test_metric_frames_are_long_format_thinned_and_absent_before_any_value() -> None:
    rows = [{"step": s, "loss": 1.0 / s, "lr": 0.1} for s in range(1, 2501)]
    frame = formatting.metric_frame(rows, ["loss", "align"])
    assert frame is not None and list(frame.columns) == ["step", "metric", "value"]
    assert set(frame["metric"]) == {"Total loss"}
    assert len(frame) <= formatting.MAX_PLOT_POINTS + 1 and frame["step"].iloc[-1] == 2500
    assert formatting.metric_frame(rows, ["xsim_margin_error"]) is None


def test_the_evaluation_table_compares_before_and_after() -> None:
    summary = {
        "before": {
            "xsim_margin_error": 12.5,
            "xsim_cos_error": 20.0,
            "retrieval_same_recall@1": 60.0,
            "retrieval_cross_recall@1": 80.0,
        },
        "after": {
            "xsim_margin_error": 7.25,
            "xsim_cos_error": 21.0,
            "retrieval_same_recall@1": 55.5,
            "retrieval_cross_recall@1": 90.0,
            "only_after": 1.0,
        },
    }
    assert formatting.evaluation_rows(summary) == [
        ["retrieval cross recall@1", "higher", 80.0, 90.0, 10.0, ""],
        ["retrieval same recall@1", "higher", 60.0, 55.5, -4.5, "yes"],
        ["Translation retrieval error, cosine (%)", "lower", 20.0, 21.0, 1.0, "yes"],
        ["Translation retrieval error, margin (%)", "lower", 12.5, 7.25, -5.25, ""],
    ]
    assert formatting.evaluation_rows({}) == []


def test_a_validation_report_is_escaped_and_says_whether_training_can_start() -> None:
    bad = {"ok": False, "error": "line 3 is <not> JSON", "text": "line 3 is <not> JSON"}
    html = formatting.validation_report(bad)
    assert 'data-ok="false"' in html and "&lt;not&gt;" in html and "<not>" not in html
    good = formatting.validation_report({"ok": True, "error": None, "text": "pairs kept: 60"})
    assert 'data-ok="true"' in good and "Ready to train" in good


def test_model_rows_show_the_live_model_and_the_held_out_scores() -> None:
    trained = ModelVersionInfo(
        name="e5-mexma-4",
        status="candidate",
        live=False,
        source="/models/e5-mexma-4",
        path="/models/e5-mexma-4",
        pooling="mean",
        dimension=384,
        qdrant_collection=None,
        metrics={
            "base": "e5",
            "before": {"xsim_margin_error": 12.5},
            "after": {"xsim_margin_error": 7.25},
            "held_out": 500,
        },
        created_at=NOW,
    )
    live = replace(trained, name="e5", status="active", live=True, metrics={})
    rows = formatting.model_rows([trained, live])
    assert len(rows[0]) == len(formatting.MODEL_COLUMNS)
    assert rows[0][:4] == ["e5-mexma-4", "candidate", "", "e5"]
    assert rows[0][6:8] == ["12.50 → 7.25", 500]
    assert rows[1][2] == "yes" and rows[1][6] == ""


def test_worker_summary_names_queued_kinds_busy_workers_and_dead_ones() -> None:
    status = WorkerStatus(
        mode="distributed",
        queued={"train": 1, "ingest": 3},
        busy=[
            BusyWorker("embed-7@gpu1", 12, "ingest", "embedding", 2.0),
            BusyWorker("train-9@gpu2", 13, "train", None, 300.0),
        ],
        stale_after_s=60.0,
    )
    text = formatting.worker_summary(status)
    assert "3 ingest · 1 train" in text and "worker processes" in text
    assert "job 12 (ingest, embedding) on embed-7@gpu1, heartbeat 2 s ago" in text
    assert text.count("looks dead") == 1 and "job 13 (train) on train-9@gpu2" in text
    idle = formatting.worker_summary(replace(status, queued={}, busy=[], mode="embedded"))
    assert "nothing" in idle and "idle" in idle and "in-process worker" in idle


def test_the_default_model_is_named_honestly() -> None:
    assert "not MEXMA weights" in model_description(DEFAULT_MODEL_NAME, None)
    tuned = model_description("ft-20261201", DEFAULT_MODEL_NAME)
    assert tuned.startswith("ft-20261201, fine-tuned from") and "not MEXMA" not in tuned


def test_metrics_have_human_labels_and_a_line_on_what_each_measures() -> None:
    assert formatting.metric_label("mlm") == "Masked-word loss"
    assert formatting.metric_label("xsim_cos_error_src2trg") == (
        "Translation retrieval error, cosine (%) (source to target)"
    )
    lines = formatting.metric_explanations(formatting.LOSS_METRICS).splitlines()
    assert len(lines) == len(formatting.LOSS_METRICS)
    assert lines[-1].startswith("KoLeo spread: ")


def test_a_count_of_one_is_singular() -> None:
    assert [counted(n, "passage") for n in (0, 1, 2)] == ["0 passages", "1 passage", "2 passages"]
