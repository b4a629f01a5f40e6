"""Training and model versions as the Admin tab shows them: metric names for people, the
charts' frames, the before/after evaluation table, the model version table, the bitext
validation notice and the question asked before promoting a version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd

from mexma_search.app.formatting import format_time
from mexma_search.app.model_checks import MetricChange, metric_changes
from mexma_search.app.views import ModelVersionInfo
from mexma_search.webapp.notices import question

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
HEADLINE_METRIC = "xsim_margin_error"
MAX_PLOT_POINTS = 1000


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
            format_time(v.created_at),
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
