"""Background jobs as the UI shows them: progress bars with their ETA, the job table's rows, the
queue and worker summaries, and the question asked before cancelling one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

from mexma_search.app.formatting import format_duration, format_time
from mexma_search.app.views import JobInfo, WorkerStatus
from mexma_search.webapp.notices import question

JOB_COLUMNS = ["id", "kind", "status", "stage", "progress", "what", "created", "message / error"]
JOB_COLUMN_WIDTHS: list[str | int] = [56, 70, 110, 100, 100, 230, 190, 300]
STATUS_CLASSES = {"succeeded": "ok", "failed": "bad", "cancelled": "bad"}


def cancel_question(job: JobInfo) -> str:
    """Asks before cancelling ``job``."""
    return question(
        f"Cancel job #{job.id} ({job_name(job)}: {job_subject(job)})?",
        "It stops at its next checkpoint.",
    )


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
            format_time(job.created_at),
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
