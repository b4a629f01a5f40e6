"""Turning the services' records into what the UI shows: escaped HTML, table rows, plot frames.

The web app's tabs read it all here, one module per concern: notices and errors
(:mod:`.notices`), search result cards (:mod:`.search_cards`), the library's documents
(:mod:`.library_formatting`), jobs (:mod:`.job_formatting`), and training and model versions
(:mod:`.training_formatting`). Every string that comes from a document, a file name or a job is
escaped there; nothing else in the web app builds HTML.
"""

from __future__ import annotations

from mexma_search.webapp.job_formatting import (
    JOB_COLUMN_WIDTHS,
    JOB_COLUMNS,
    cancel_question,
    eta_seconds,
    job_name,
    job_progress,
    job_rows,
    job_subject,
    jobs_progress,
    queue_summary,
    worker_summary,
)
from mexma_search.webapp.library_formatting import (
    DOCUMENT_COLUMN_WIDTHS,
    DOCUMENT_COLUMNS,
    delete_question,
    document_choices,
    document_rows,
    page_note,
    reread_question,
)
from mexma_search.webapp.notices import (
    message_box,
    ui_error,
)
from mexma_search.webapp.search_cards import (
    EMPTY_INDEX,
    SEARCH_HINT,
    highlighted_passage,
    page_label,
    result_card,
    result_cards,
    result_page,
    score_badge,
)
from mexma_search.webapp.training_formatting import (
    DEV_METRICS,
    EVAL_COLUMNS,
    HEADLINE_METRIC,
    LOSS_METRICS,
    MAX_PLOT_POINTS,
    MODEL_COLUMN_WIDTHS,
    MODEL_COLUMNS,
    evaluation_rows,
    metric_explanations,
    metric_frame,
    metric_label,
    model_rows,
    promote_question,
    validation_report,
)

__all__ = [
    "DEV_METRICS",
    "DOCUMENT_COLUMNS",
    "DOCUMENT_COLUMN_WIDTHS",
    "EMPTY_INDEX",
    "EVAL_COLUMNS",
    "HEADLINE_METRIC",
    "JOB_COLUMNS",
    "JOB_COLUMN_WIDTHS",
    "LOSS_METRICS",
    "MAX_PLOT_POINTS",
    "MODEL_COLUMNS",
    "MODEL_COLUMN_WIDTHS",
    "SEARCH_HINT",
    "cancel_question",
    "delete_question",
    "document_choices",
    "document_rows",
    "eta_seconds",
    "evaluation_rows",
    "highlighted_passage",
    "job_name",
    "job_progress",
    "job_rows",
    "job_subject",
    "jobs_progress",
    "message_box",
    "metric_explanations",
    "metric_frame",
    "metric_label",
    "model_rows",
    "page_label",
    "page_note",
    "promote_question",
    "queue_summary",
    "reread_question",
    "result_card",
    "result_cards",
    "result_page",
    "score_badge",
    "ui_error",
    "validation_report",
    "worker_summary",
]
