"""Turning the services' records into what the UI shows: escaped HTML, table rows, plot frames.

Every string that comes from a document, a file name or a job is escaped here; nothing else in
the web app builds HTML.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

import gradio as gr
import pandas as pd

from mexma_search.app.formatting import format_duration
from mexma_search.app.model_checks import MetricChange, metric_changes
from mexma_search.app.relevance import RELEVANCE_LABELS
from mexma_search.app.views import (
    DocumentInfo,
    JobInfo,
    ModelVersionInfo,
    SearchPage,
    SearchResult,
    WorkerStatus,
)

DOCUMENT_COLUMNS = [
    "id",
    "document",
    "collection",
    "languages",
    "passages",
    "encoding",
    "status",
    "error",
]
# pixels: narrow screens scroll the table sideways instead of breaking headers mid-word
DOCUMENT_COLUMN_WIDTHS: list[str | int] = [56, 240, 120, 110, 100, 100, 100, 230]
JOB_COLUMNS = ["id", "kind", "status", "stage", "progress", "what", "created", "message / error"]
MODEL_COLUMNS = [
    "name",
    "status",
    "live",
    "base",
    "pooling",
    "dim",
    "xsim margin err. % (before → after)",
    "held-out",
    "created",
]
JOB_COLUMN_WIDTHS: list[str | int] = [56, 70, 110, 100, 100, 230, 190, 300]
MODEL_COLUMN_WIDTHS: list[str | int] = [240, 90, 50, 200, 70, 56, 220, 80, 170]
EVAL_COLUMNS = ["metric (%)", "better", "before", "after", "change (points)", "got worse"]
LOSS_METRICS = ("loss", "align", "mlm", "koleo")
DEV_METRICS = ("xsim_cos_error", "xsim_margin_error")
# what the charts and the evaluation table call each metric, and one line on what it measures
METRIC_LABELS = {
    "loss": ("Total loss", "the sum the optimiser lowers (the weighted losses below)"),
    "align": ("Alignment loss", "how far apart a sentence and its translation are embedded"),
    "mlm": ("Masked-word loss", "how badly hidden words are guessed from the translation"),
    "koleo": ("KoLeo spread", "lower when sentence embeddings spread evenly"),
    "xsim_cos_error": (
        "Translation retrieval error, cosine (%)",
        "held-out sentences whose nearest translation by cosine is wrong",
    ),
    "xsim_margin_error": (
        "Translation retrieval error, margin (%)",
        "the same with margin scoring, which discounts sentences close to everything",
    ),
}


DIRECTIONS = {"_src2trg": " (source to target)", "_trg2src": " (target to source)"}


def metric_label(name: str) -> str:
    """A metric's name for people, e.g. ``xsim_cos_error_src2trg`` ->
    ``Translation retrieval error, cosine (%) (source to target)``."""
    for suffix, direction in DIRECTIONS.items():
        if name.endswith(suffix):
            return metric_label(name.removesuffix(suffix)) + direction
    return METRIC_LABELS.get(name, (name.replace("_", " "), ""))[0]


def metric_explanations(names: Sequence[str]) -> str:
    """One line per metric: its label and what it measures (a chart's caption)."""
    return "\n".join(f"{METRIC_LABELS[name][0]}: {METRIC_LABELS[name][1]}." for name in names)


HEADLINE_METRIC = "xsim_margin_error"
MAX_PLOT_POINTS = 1000
STATUS_CLASSES = {"succeeded": "ok", "failed": "bad", "cancelled": "bad"}


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def ui_error(text: str) -> gr.Error:
    """A ``gr.Error`` for the user; Gradio renders its message as HTML, so it is escaped."""
    return gr.Error(escape(text), print_exception=False)


def message_box(title: str, body: str) -> str:
    """A notice (empty states, no results); ``body`` is plain text."""
    return f'<div class="mx-notice"><strong>{escape(title)}</strong><p>{escape(body)}</p></div>'


EMPTY_INDEX = message_box(
    "Nothing is indexed yet",
    "Upload documents in the Library tab (text, Markdown, HTML, PDF, Word, CSV, JSONL, TMX or a "
    "zip of them) and search them here in any language, or restart with "
    "`mexma-search serve --demo` to load a small multilingual sample corpus.",
)


def question(title: str, body: str, warning: str = "") -> str:
    """A confirmation question (see webapp.confirm): what will happen, and a warning if any."""
    warned = f'<p class="mx-warning">{escape(warning)}</p>' if warning else ""
    return (
        f'<div class="mx-notice mx-question"><strong>{escape(title)}</strong>'
        f"<p>{escape(body)}</p>{warned}</div>"
    )


def delete_question(document: DocumentInfo) -> str:
    """Asks before deleting ``document``."""
    return question(
        f"Delete document #{document.id} {document.filename} ({document.collection})?",
        f"Its {document.n_chunks} passages leave the index and its stored file is removed. "
        "This cannot be undone.",
    )


def reread_question(document: DocumentInfo, encoding: str) -> str:
    """Asks before reading ``document`` again in ``encoding``."""
    was = f" (it was read as {document.encoding})" if document.encoding else ""
    return question(
        f"Read document #{document.id} {document.filename} again as {encoding}{was}?",
        f"Its {document.n_chunks} passages stay searchable until the new ones replace them; "
        "if the file is not valid in that encoding, nothing changes.",
    )


def cancel_question(job: JobInfo) -> str:
    """Asks before cancelling ``job``."""
    return question(
        f"Cancel job #{job.id} ({job_name(job)}: {job_subject(job)})?",
        "It stops at its next checkpoint.",
    )


def promote_question(version: ModelVersionInfo, worse: Sequence[MetricChange] = ()) -> str:
    """Asks before promoting ``version``: its held-out error before and after its training,
    with a warning when it is not better than its base (or was never evaluated) and the
    metrics that training made ``worse``."""
    before = version.metrics.get("before", {}).get(HEADLINE_METRIC)
    after = version.metrics.get("after", {}).get(HEADLINE_METRIC)
    if before is None or after is None:
        change = "It has no held-out evaluation."
        warnings = ["Nothing shows that it is better than the live model."]
    else:
        change = f"Held-out xsim margin error: {before:.2f} % before training, {after:.2f} % after."
        warnings = (
            [] if after < before else ["It is not better than the model it was trained from."]
        )
    if worse:
        warnings.append("Worse after training: " + "; ".join(c.describe() for c in worse) + ".")
    return question(
        f"Promote {version.name} to the live model?",
        f"{change} Every passage is re-embedded with it, then search switches to it; the "
        "current model stays registered for a rollback.",
        " ".join(warnings),
    )


SEARCH_HINT = message_box(
    "Search in any language",
    "Type a question or a few words above and press Enter or Search: passages with the same "
    "meaning are found in every language. Narrow the results with the filters (empty: any).",
)


def highlighted_passage(result: SearchResult) -> str:
    """The passage with its best-matching sentence in a ``<mark>`` (unless it is the whole
    passage)."""
    text = result.text
    start, end = result.sentence_start, result.sentence_end
    if not 0 <= start < end <= len(text) or (start, end) == (0, len(text)):
        return escape(text)
    return f"{escape(text[:start])}<mark>{escape(text[start:end])}</mark>{escape(text[end:])}"


def relevance_badge(result: SearchResult) -> str:
    """The result's relevance label, its score in the tooltip (the score itself for a model
    without labels)."""
    return score_badge(result.relevance, result.score)


def score_badge(relevance: str, score: float) -> str:
    """A match's ``relevance`` label with its cosine ``score`` in the tooltip (the score
    itself when there is no label)."""
    label = RELEVANCE_LABELS.get(relevance)
    if label is None:
        return f'<span class="mx-score" title="cosine similarity">{score:.3f}</span>'
    return (
        f'<span class="mx-relevance mx-rel-{escape(relevance)}" '
        f'title="cosine similarity {score:.3f}">{escape(label)}</span>'
    )


def _document_name(result: SearchResult) -> str:
    """The document's title, with its file name beside it when they differ."""
    title = result.document_title or result.document
    file = (
        f'<span class="mx-file">{escape(result.document)}</span>'
        if title != result.document
        else ""
    )
    return f'<span class="mx-doc">{escape(title)}</span>{file}'


def result_card(result: SearchResult) -> str:
    """One search result: document, language, relevance, passage, and a button for the
    document's other hits (read by the card list's click handler through ``data-document``)."""
    return (
        '<article class="mx-card">'
        '<header class="mx-card-head">'
        f"{_document_name(result)}"
        f'<span class="mx-tag" title="language">{escape(result.lang or "?")}</span>'
        f'<span class="mx-tag" title="collection">{escape(result.collection)}</span>'
        f"{relevance_badge(result)}"
        "</header>"
        f'<p class="mx-passage">{highlighted_passage(result)}</p>'
        f"{_also_in_document(result.passages)}"
        f'<button class="mx-more" type="button" data-document="{result.document_id}">'
        "More from this document</button>"
        "</article>"
    )


def _also_in_document(passages: Sequence[SearchResult]) -> str:
    """The document's next best passages, folded under one line."""
    if not passages:
        return ""
    label = "1 more passage" if len(passages) == 1 else f"{len(passages)} more passages"
    shown = "".join(
        f'<p class="mx-passage"><span class="mx-score">{p.score:.3f}</span> '
        f"{highlighted_passage(p)}</p>"
        for p in passages
    )
    return (
        f'<details class="mx-also"><summary>{label} from this document</summary>{shown}</details>'
    )


def result_cards(results: Sequence[SearchResult], query: str) -> str:
    """The result list, or a notice when nothing matched."""
    if not results:
        return message_box(
            "No results", f"Nothing matched {query!r} with these filters: try removing some."
        )
    cards = "".join(result_card(result) for result in results)
    return f'<div class="mx-results">{cards}</div>'


def result_page(page: SearchPage, query: str) -> str:
    """A page of results: the cards, and a notice for the matches under the relevance floor
    (all of them on a first page with nothing better: "no good match")."""
    hidden = "1 poor match is" if page.hidden == 1 else f"{page.hidden} poor matches are"
    reveal = f"{hidden} hidden: tick “Show all matches” to see them."
    if page.no_good_match:
        return message_box("No good match", f"Nothing matched {query!r} well. {reveal}")
    if not page.results and page.page > 1:
        return message_box("No more results", "This page is past the last result.")
    cards = result_cards(page.results, query)
    return cards + (f'<p class="mx-hidden">{escape(reveal)}</p>' if page.hidden else "")


def page_label(page: SearchPage) -> str:
    """Which results the page shows, e.g. "Results 11–20"."""
    if not page.results:
        return ""
    first = (page.page - 1) * page.page_size + 1
    return f"Page {page.page} · results {first}–{first + len(page.results) - 1}"


def _progress_fraction(job: JobInfo) -> float | None:
    if job.status == "succeeded":
        return 1.0
    if job.total:
        return min(job.done / job.total, 1.0)
    return None


def eta_seconds(job: JobInfo, now: datetime | None = None) -> float | None:
    """Seconds left: the task's own estimate when it gives one (counted from its last
    heartbeat), else extrapolated linearly from the progress so far; None if unknown."""
    if job.finished:
        return None
    now = now or datetime.now(UTC)
    if job.eta_seconds is not None:
        since = (now - job.heartbeat_at).total_seconds() if job.heartbeat_at else 0.0
        return max(job.eta_seconds - since, 0.0)
    fraction = _progress_fraction(job)
    if not fraction or job.started_at is None:
        return None
    elapsed = (now - job.started_at).total_seconds()
    return max(elapsed * (1 - fraction) / fraction, 0.0)


def job_name(job: JobInfo) -> str:
    """What a job does: its kind, or the task of encoder work (mine, align)."""
    return str(job.parameters.get("task") or job.kind)


def _tm_side(side: Mapping[str, Any]) -> str:
    if "document_id" in side:
        return f"document #{side['document_id']}"
    return f"{side.get('collection')} ({side.get('lang')})"


def job_subject(job: JobInfo) -> str:
    """What a job works on, from its parameters (file name, model version, the two sides of
    mining or alignment, ...)."""
    parameters = job.parameters
    if "task" in parameters:
        return f"{_tm_side(parameters['source'])} -> {_tm_side(parameters['target'])}"
    for key in ("filename", "model_version", "name", "bitext"):
        if parameters.get(key):
            return str(parameters[key])
    return ""


def job_progress(job: JobInfo, now: datetime | None = None) -> str:
    """A job as a labelled progress bar with its stage, counts, ETA and outcome."""
    fraction = _progress_fraction(job)
    counts = f"{job.done}/{job.total}" if job.total else ""
    eta = eta_seconds(job, now)
    details = [job.stage or "", counts, f"ETA {format_duration(eta)}" if eta is not None else ""]
    outcome = job.error or job.message or ""
    bar = (
        f'<progress max="1" value="{fraction:.4f}"></progress>'
        if fraction is not None
        else "<progress></progress>"
        if not job.finished
        else ""
    )
    status_class = STATUS_CLASSES.get(job.status, "run")
    return (
        f'<div class="mx-job" data-job="{job.id}" data-status="{escape(job.status)}">'
        f'<div class="mx-job-head"><span class="mx-job-name">#{job.id} {escape(job_name(job))}: '
        f"{escape(job_subject(job))}</span>"
        f'<span class="mx-status mx-{status_class}">{escape(job.status)}</span></div>'
        f"{bar}"
        f'<div class="mx-job-detail">{escape(" · ".join(d for d in details if d))}</div>'
        + (f'<div class="mx-job-outcome">{escape(outcome)}</div>' if outcome else "")
        + "</div>"
    )


def jobs_progress(jobs: Sequence[JobInfo], now: datetime | None = None) -> str:
    """Several jobs' progress bars (newest first), or nothing when there are none."""
    if not jobs:
        return ""
    ordered = sorted(jobs, key=lambda job: job.id, reverse=True)
    return '<div class="mx-jobs">' + "".join(job_progress(j, now) for j in ordered) + "</div>"


def document_rows(documents: Sequence[DocumentInfo]) -> list[list[Any]]:
    """Rows of the document table (columns :data:`DOCUMENT_COLUMNS`)."""
    return [
        [
            d.id,
            d.filename,
            d.collection,
            ", ".join(d.languages),
            d.n_chunks,
            d.encoding or "",
            d.status,
            d.error or (f"duplicate of #{d.duplicate_of_id}" if d.duplicate_of_id else ""),
        ]
        for d in documents
    ]


def page_note(page: int, pages: int, total: int) -> str:
    """Where a listing page is, e.g. ``Page 2 of 5 · 230 documents``."""
    noun = "document" if total == 1 else "documents"
    return f"Page {page} of {pages} · {total} {noun}"


def document_choices(documents: Sequence[DocumentInfo]) -> list[tuple[str, int]]:
    """Dropdown choices ``(label, id)`` for documents."""
    return [(f"#{d.id} {d.filename} ({d.collection})", d.id) for d in documents]


def job_rows(jobs: Sequence[JobInfo]) -> list[list[Any]]:
    """Rows of the job table (columns :data:`JOB_COLUMNS`)."""
    return [
        [
            job.id,
            job_name(job),
            job.status + (" (cancel requested)" if job.cancel_requested else ""),
            job.stage or "",
            f"{job.done}/{job.total}" if job.total else "",
            job_subject(job),
            _time(job.created_at),
            job.error or job.message or "",
        ]
        for job in jobs
    ]


def worker_summary(status: WorkerStatus) -> str:
    """Queued jobs by kind and what each busy worker runs, e.g. ``Queued: 3 ingest ·
    Running: job 12 (train, training) on train-81@gpu1, heartbeat 2 s ago``."""
    queued = " · ".join(f"{n} {kind}" for kind, n in sorted(status.queued.items())) or "nothing"
    running = [
        f"job {b.job_id} ({b.kind}{', ' + b.stage if b.stage else ''}) on {b.worker}, "
        f"heartbeat {b.silent_s:.0f} s ago"
        + (" — its worker looks dead, requeue pending" if b.silent_s > status.stale_after_s else "")
        for b in status.busy
    ]
    where = "in-process worker" if status.mode == "embedded" else "worker processes"
    return f"**Queued:** {queued}  \n**Running ({where}):** " + (
        "; ".join(running) if running else "idle"
    )


def queue_summary(jobs: Sequence[JobInfo]) -> str:
    """A one-line count of the listed jobs by status, e.g. ``2 running · 5 queued``."""
    counts = Counter(job.status for job in jobs)
    return " · ".join(f"{n} {status}" for status, n in counts.most_common()) or "no jobs"


def _before_after(metrics: Mapping[str, Any], name: str) -> str:
    before = metrics.get("before", {}).get(name)
    after = metrics.get("after", {}).get(name)
    if before is None or after is None:
        return ""
    return f"{before:.2f} → {after:.2f}"


def model_rows(versions: Sequence[ModelVersionInfo]) -> list[list[Any]]:
    """Rows of the model version table (columns :data:`MODEL_COLUMNS`)."""
    return [
        [
            v.name,
            v.status,
            "yes" if v.live else "",
            str(v.metrics.get("base", "")),
            v.pooling,
            v.dimension,
            _before_after(v.metrics, HEADLINE_METRIC),
            v.metrics.get("held_out", ""),
            _time(v.created_at),
        ]
        for v in versions
    ]


def evaluation_rows(summary: Mapping[str, Any]) -> list[list[Any]]:
    """The before/after table of a finished training job (columns :data:`EVAL_COLUMNS`):
    each held-out metric (xsim errors, retrieval scores) in percent, which way is better,
    the change in points and whether it got worse."""
    return [
        [
            metric_label(change.name),
            "higher" if change.higher_is_better else "lower",
            round(change.before, 2),
            round(change.after, 2),
            round(change.after - change.before, 2),
            "yes" if change.worse else "",
        ]
        for change in metric_changes(summary)
    ]


def validation_report(result: Mapping[str, Any]) -> str:
    """A bitext validation result (``ok``, ``error``, ``text``) as a notice with the report."""
    title = "Ready to train" if result["ok"] else f"Cannot train on this file: {result['error']}"
    return (
        f'<div class="mx-notice mx-report" data-ok="{str(bool(result["ok"])).lower()}">'
        f"<strong>{escape(title)}</strong><pre>{escape(result['text'])}</pre></div>"
    )


def metric_frame(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> pd.DataFrame | None:
    """Long-format ``step, metric, value`` rows of the named metrics (at most about
    :data:`MAX_PLOT_POINTS` steps, evenly thinned, the last kept), for a line plot; None
    before there is any (a plot first drawn from an empty frame keeps an empty colour legend
    and draws no lines)."""
    relevant = [row for row in rows if any(_is_number(row.get(name)) for name in names)]
    if not relevant:
        return None
    stride = -(-len(relevant) // MAX_PLOT_POINTS)
    shown = relevant[::stride]
    if shown[-1] is not relevant[-1]:
        shown.append(relevant[-1])
    records = [
        {"step": row["step"], "metric": metric_label(name), "value": float(row[name])}
        for row in shown
        for name in names
        if _is_number(row.get(name))
    ]
    return pd.DataFrame(records, columns=["step", "metric", "value"])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
